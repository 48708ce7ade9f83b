// verilator lint_off DECLFILENAME
// silu_int16_half_lut: the half of silu_int16, g(h) for h = |x| >= 0 (f not saturated); silu_int16_lut below feeds it |x|.
`default_nettype none
//
// Coefficient LUT part: the segment decoder and coefficient ROM alone, for an existing MAC that
// computes y = sat((slope * x + (intercept << INTERCEPT_SHIFT) + 2^(SHIFT-1)) >>> SHIFT)
// (no rounding term when SHIFT is 0), zero-extending the unsigned x.
module silu_int16_half_lut (x, slope, intercept);
    localparam integer IN_BITS         = 16;
    localparam integer SEG_BITS        = 5;
    localparam integer KEY_SHIFT       = 6;
    localparam integer SLOPE_BITS      = 16;
    localparam integer INTERCEPT_BITS  = 26;
    // For the MAC outside: shifts and the exact widths its product and accumulator need.
    // verilator lint_off UNUSED
    localparam integer SHIFT           = 14;
    localparam integer INTERCEPT_SHIFT = 0;
    localparam integer PRODUCT_BITS    = 32;
    localparam integer ACC_BITS        = 32;
    // verilator lint_on UNUSED

    // Not every bit of x is read (the decoder drops low bits no breakpoint has).
    // verilator lint_off UNUSED
    input  wire [IN_BITS-1:0] x;
    // verilator lint_on UNUSED
    output wire signed [SLOPE_BITS-1:0] slope;
    output wire signed [INTERCEPT_BITS-1:0] intercept;

    // Segment decoder: seg = number of breakpoints <= x. Every breakpoint is a multiple of
    // 2^KEY_SHIFT, so comparing x >>> KEY_SHIFT with breakpoint >>> KEY_SHIFT is exact.
    wire [IN_BITS-KEY_SHIFT-1:0] x_key = x[IN_BITS-1:KEY_SHIFT];
    reg [SEG_BITS-1:0] seg;
    always @* begin
        seg = 5'd0;
        if (x_key >= 10'd5) seg = 5'd1;
        if (x_key >= 10'd10) seg = 5'd2;
        if (x_key >= 10'd15) seg = 5'd3;
        if (x_key >= 10'd20) seg = 5'd4;
        if (x_key >= 10'd25) seg = 5'd5;
        if (x_key >= 10'd30) seg = 5'd6;
        if (x_key >= 10'd36) seg = 5'd7;
        if (x_key >= 10'd42) seg = 5'd8;
        if (x_key >= 10'd47) seg = 5'd9;
        if (x_key >= 10'd53) seg = 5'd10;
        if (x_key >= 10'd59) seg = 5'd11;
        if (x_key >= 10'd65) seg = 5'd12;
        if (x_key >= 10'd72) seg = 5'd13;
        if (x_key >= 10'd80) seg = 5'd14;
        if (x_key >= 10'd89) seg = 5'd15;
        if (x_key >= 10'd97) seg = 5'd16;
        if (x_key >= 10'd107) seg = 5'd17;
        if (x_key >= 10'd118) seg = 5'd18;
        if (x_key >= 10'd132) seg = 5'd19;
        if (x_key >= 10'd179) seg = 5'd20;
        if (x_key >= 10'd198) seg = 5'd21;
        if (x_key >= 10'd217) seg = 5'd22;
        if (x_key >= 10'd235) seg = 5'd23;
        if (x_key >= 10'd253) seg = 5'd24;
        if (x_key >= 10'd273) seg = 5'd25;
        if (x_key >= 10'd294) seg = 5'd26;
        if (x_key >= 10'd317) seg = 5'd27;
        if (x_key >= 10'd343) seg = 5'd28;
        if (x_key >= 10'd374) seg = 5'd29;
        if (x_key >= 10'd410) seg = 5'd30;
        if (x_key >= 10'd456) seg = 5'd31;
    end

    // Coefficient ROM, one entry per segment.
    reg signed [SLOPE_BITS-1:0] slope_rom;
    reg signed [INTERCEPT_BITS-1:0] intercept_rom;
    always @* begin
        case (seg)
            5'd0: begin slope_rom = 16'sd8504; intercept_rom = -26'sd13098; end
            5'd1: begin slope_rom = 16'sd9142; intercept_rom = -26'sd213450; end
            5'd2: begin slope_rom = 16'sd9777; intercept_rom = -26'sd618732; end
            5'd3: begin slope_rom = 16'sd10402; intercept_rom = -26'sd1216538; end
            5'd4: begin slope_rom = 16'sd11009; intercept_rom = -26'sd1991936; end
            5'd5: begin slope_rom = 16'sd11606; intercept_rom = -26'sd2946892; end
            5'd6: begin slope_rom = 16'sd12223; intercept_rom = -26'sd4133355; end
            5'd7: begin slope_rom = 16'sd12892; intercept_rom = -26'sd5672540; end
            5'd8: begin slope_rom = 16'sd13453; intercept_rom = -26'sd7174836; end
            5'd9: begin slope_rom = 16'sd13993; intercept_rom = -26'sd8801748; end
            5'd10: begin slope_rom = 16'sd14537; intercept_rom = -26'sd10645070; end
            5'd11: begin slope_rom = 16'sd15037; intercept_rom = -26'sd12530679; end
            5'd12: begin slope_rom = 16'sd15529; intercept_rom = -26'sd14579751; end
            5'd13: begin slope_rom = 16'sd16026; intercept_rom = -26'sd16869524; end
            5'd14: begin slope_rom = 16'sd16531; intercept_rom = -26'sd19454976; end
            5'd15: begin slope_rom = 16'sd16931; intercept_rom = -26'sd21727612; end
            5'd16: begin slope_rom = 16'sd17278; intercept_rom = -26'sd23883408; end
            5'd17: begin slope_rom = 16'sd17583; intercept_rom = -26'sd25970010; end
            5'd18: begin slope_rom = 16'sd17826; intercept_rom = -26'sd27805942; end
            5'd19: begin slope_rom = 16'sd17994; intercept_rom = -26'sd29222408; end
            5'd20: begin slope_rom = 16'sd17855; intercept_rom = -26'sd27631754; end
            5'd21: begin slope_rom = 16'sd17691; intercept_rom = -26'sd25552624; end
            5'd22: begin slope_rom = 16'sd17518; intercept_rom = -26'sd23153028; end
            5'd23: begin slope_rom = 16'sd17350; intercept_rom = -26'sd20626890; end
            5'd24: begin slope_rom = 16'sd17190; intercept_rom = -26'sd18033528; end
            5'd25: begin slope_rom = 16'sd17037; intercept_rom = -26'sd15360868; end
            5'd26: begin slope_rom = 16'sd16898; intercept_rom = -26'sd12745996; end
            5'd27: begin slope_rom = 16'sd16774; intercept_rom = -26'sd10231742; end
            5'd28: begin slope_rom = 16'sd16661; intercept_rom = -26'sd7750739; end
            5'd29: begin slope_rom = 16'sd16568; intercept_rom = -26'sd5524400; end
            5'd30: begin slope_rom = 16'sd16495; intercept_rom = -26'sd3609850; end
            5'd31: begin slope_rom = 16'sd16441; intercept_rom = -26'sd2038273; end
        endcase
    end


    assign slope = slope_rom;
    assign intercept = intercept_rom;
endmodule

`default_nettype wire

// verilator lint_on DECLFILENAME

// Generated by approxgen 0.1.0; do not edit.
// name silu_int16: silu
// spec hash 6b576d203fb65035
// input  int16 scale 2^-12, domain codes -32768..32767
// output int16 scale 2^-12
// form pwl, 32 segments, search exact, seed 0, objective max; folded (minus-x): y(-h) = g(h) - h, the half 0..32768 in int16
// measured over every domain code: max error 1.4181 LSB, 28940 mismatches vs correctly rounded, max abs error 0.000346225, mse 1.96693e-08
// correctly rounded table: max error 0.5000 LSB
`default_nettype none
//
// Coefficient LUT part of a fit folded by symmetry: silu_int16_half_lut is the segment decoder and
// coefficient ROM of the half g, selected by h = |x| (unsigned; its header states the datapath
// the coefficients feed). The reconstruction is left to the datapath outside:
//   g = that datapath's result for h, saturated to G_BITS (signed);
//   y = sat(g) for x >= 0, y = sat(g(h) - h) for x < 0 (h = -x), computed in WIDE_BITS
//   (signed: every value fits), saturated to the output format.
module silu_int16_lut (x, slope, intercept);
    localparam integer IN_BITS   = 16;
    // For the datapath outside: the widths of g and of the reconstruction.
    // verilator lint_off UNUSED
    localparam integer G_BITS    = 16;
    localparam integer WIDE_BITS = 17;
    // verilator lint_on UNUSED

    input  wire signed [IN_BITS-1:0] x;
    output wire signed [15:0] slope;
    output wire signed [25:0] intercept;

    wire x_neg = x[IN_BITS-1];
    // |x|: 2^(IN_BITS-1) fits the unsigned width
    wire [IN_BITS-1:0] x_abs = x_neg ? $unsigned(-x) : $unsigned(x);
    silu_int16_half_lut u (
        .x(x_abs), .slope(slope), .intercept(intercept));
endmodule

`default_nettype wire
