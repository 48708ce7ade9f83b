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
    localparam integer SLOPE_BITS      = 16;
    localparam integer INTERCEPT_BITS  = 26;
    // For the MAC outside: shifts and the exact widths its product and accumulator need.
    // verilator lint_off UNUSED
    localparam integer SHIFT           = 14;
    localparam integer INTERCEPT_SHIFT = 0;
    localparam integer PRODUCT_BITS    = 32;
    localparam integer ACC_BITS        = 32;
    // verilator lint_on UNUSED

    input  wire [IN_BITS-1:0] x;
    output wire signed [SLOPE_BITS-1:0] slope;
    output wire signed [INTERCEPT_BITS-1:0] intercept;

    // Segment decoder: seg = number of breakpoints <= x.
    reg [SEG_BITS-1:0] seg;
    always @* begin
        seg = 5'd0;
        if (x >= 16'd333) seg = 5'd1;
        if (x >= 16'd651) seg = 5'd2;
        if (x >= 16'd975) seg = 5'd3;
        if (x >= 16'd1300) seg = 5'd4;
        if (x >= 16'd1626) seg = 5'd5;
        if (x >= 16'd1963) seg = 5'd6;
        if (x >= 16'd2319) seg = 5'd7;
        if (x >= 16'd2665) seg = 5'd8;
        if (x >= 16'd3023) seg = 5'd9;
        if (x >= 16'd3395) seg = 5'd10;
        if (x >= 16'd3778) seg = 5'd11;
        if (x >= 16'd4184) seg = 5'd12;
        if (x >= 16'd4615) seg = 5'd13;
        if (x >= 16'd5107) seg = 5'd14;
        if (x >= 16'd5673) seg = 5'd15;
        if (x >= 16'd6216) seg = 5'd16;
        if (x >= 16'd6839) seg = 5'd17;
        if (x >= 16'd7551) seg = 5'd18;
        if (x >= 16'd8471) seg = 5'd19;
        if (x >= 16'd11428) seg = 5'd20;
        if (x >= 16'd12699) seg = 5'd21;
        if (x >= 16'd13866) seg = 5'd22;
        if (x >= 16'd15020) seg = 5'd23;
        if (x >= 16'd16222) seg = 5'd24;
        if (x >= 16'd17487) seg = 5'd25;
        if (x >= 16'd18821) seg = 5'd26;
        if (x >= 16'd20288) seg = 5'd27;
        if (x >= 16'd21972) seg = 5'd28;
        if (x >= 16'd23924) seg = 5'd29;
        if (x >= 16'd26238) seg = 5'd30;
        if (x >= 16'd29207) seg = 5'd31;
    end

    // Coefficient ROM, one entry per segment.
    reg signed [SLOPE_BITS-1:0] slope_rom;
    reg signed [INTERCEPT_BITS-1:0] intercept_rom;
    always @* begin
        case (seg)
            5'd0: begin slope_rom = 16'sd8527; intercept_rom = -26'sd16662; end
            5'd1: begin slope_rom = 16'sd9167; intercept_rom = -26'sd226371; end
            5'd2: begin slope_rom = 16'sd9797; intercept_rom = -26'sd634292; end
            5'd3: begin slope_rom = 16'sd10432; intercept_rom = -26'sd1250112; end
            5'd4: begin slope_rom = 16'sd11053; intercept_rom = -26'sd2056116; end
            5'd5: begin slope_rom = 16'sd11661; intercept_rom = -26'sd3043730; end
            5'd6: begin slope_rom = 16'sd12275; intercept_rom = -26'sd4246090; end
            5'd7: begin slope_rom = 16'sd12877; intercept_rom = -26'sd5638019; end
            5'd8: begin slope_rom = 16'sd13452; intercept_rom = -26'sd7169388; end
            5'd9: begin slope_rom = 16'sd13997; intercept_rom = -26'sd8814881; end
            5'd10: begin slope_rom = 16'sd14538; intercept_rom = -26'sd10648634; end
            5'd11: begin slope_rom = 16'sd15049; intercept_rom = -26'sd12577359; end
            5'd12: begin slope_rom = 16'sd15545; intercept_rom = -26'sd14650449; end
            5'd13: begin slope_rom = 16'sd16014; intercept_rom = -26'sd16812864; end
            5'd14: begin slope_rom = 16'sd16515; intercept_rom = -26'sd19371206; end
            5'd15: begin slope_rom = 16'sd16921; intercept_rom = -26'sd21666238; end
            5'd16: begin slope_rom = 16'sd17273; intercept_rom = -26'sd23851368; end
            5'd17: begin slope_rom = 16'sd17579; intercept_rom = -26'sd25940774; end
            5'd18: begin slope_rom = 16'sd17826; intercept_rom = -26'sd27805022; end
            5'd19: begin slope_rom = 16'sd17996; intercept_rom = -26'sd29242486; end
            5'd20: begin slope_rom = 16'sd17855; intercept_rom = -26'sd27632819; end
            5'd21: begin slope_rom = 16'sd17691; intercept_rom = -26'sd25551738; end
            5'd22: begin slope_rom = 16'sd17521; intercept_rom = -26'sd23196029; end
            5'd23: begin slope_rom = 16'sd17352; intercept_rom = -26'sd20658986; end
            5'd24: begin slope_rom = 16'sd17188; intercept_rom = -26'sd17999454; end
            5'd25: begin slope_rom = 16'sd17036; intercept_rom = -26'sd15342868; end
            5'd26: begin slope_rom = 16'sd16898; intercept_rom = -26'sd12745996; end
            5'd27: begin slope_rom = 16'sd16774; intercept_rom = -26'sd10231742; end
            5'd28: begin slope_rom = 16'sd16662; intercept_rom = -26'sd7773140; end
            5'd29: begin slope_rom = 16'sd16569; intercept_rom = -26'sd5550167; end
            5'd30: begin slope_rom = 16'sd16495; intercept_rom = -26'sd3610508; end
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
// measured over every domain code: max error 1.2257 LSB, 28686 mismatches vs correctly rounded, max abs error 0.000299253, mse 1.92898e-08
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
