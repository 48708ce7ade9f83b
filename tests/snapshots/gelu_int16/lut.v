// verilator lint_off DECLFILENAME
// gelu_int16_half_lut: the half of gelu_int16, g(h) for h = |x| >= 0 (f not saturated); gelu_int16_lut below feeds it |x|.
`default_nettype none
//
// Coefficient LUT part: the segment decoder and coefficient ROM alone, for an existing MAC that
// computes y = sat((slope * x + (intercept << INTERCEPT_SHIFT) + 2^(SHIFT-1)) >>> SHIFT)
// (no rounding term when SHIFT is 0), zero-extending the unsigned x.
module gelu_int16_half_lut (x, slope, intercept);
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
        if (x_key >= 10'd3) seg = 5'd1;
        if (x_key >= 10'd6) seg = 5'd2;
        if (x_key >= 10'd10) seg = 5'd3;
        if (x_key >= 10'd13) seg = 5'd4;
        if (x_key >= 10'd16) seg = 5'd5;
        if (x_key >= 10'd19) seg = 5'd6;
        if (x_key >= 10'd23) seg = 5'd7;
        if (x_key >= 10'd26) seg = 5'd8;
        if (x_key >= 10'd30) seg = 5'd9;
        if (x_key >= 10'd34) seg = 5'd10;
        if (x_key >= 10'd37) seg = 5'd11;
        if (x_key >= 10'd41) seg = 5'd12;
        if (x_key >= 10'd46) seg = 5'd13;
        if (x_key >= 10'd50) seg = 5'd14;
        if (x_key >= 10'd55) seg = 5'd15;
        if (x_key >= 10'd60) seg = 5'd16;
        if (x_key >= 10'd66) seg = 5'd17;
        if (x_key >= 10'd72) seg = 5'd18;
        if (x_key >= 10'd80) seg = 5'd19;
        if (x_key >= 10'd103) seg = 5'd20;
        if (x_key >= 10'd113) seg = 5'd21;
        if (x_key >= 10'd121) seg = 5'd22;
        if (x_key >= 10'd130) seg = 5'd23;
        if (x_key >= 10'd138) seg = 5'd24;
        if (x_key >= 10'd147) seg = 5'd25;
        if (x_key >= 10'd156) seg = 5'd26;
        if (x_key >= 10'd167) seg = 5'd27;
        if (x_key >= 10'd179) seg = 5'd28;
        if (x_key >= 10'd193) seg = 5'd29;
        if (x_key >= 10'd212) seg = 5'd30;
        if (x_key >= 10'd244) seg = 5'd31;
    end

    // Coefficient ROM, one entry per segment.
    reg signed [SLOPE_BITS-1:0] slope_rom;
    reg signed [INTERCEPT_BITS-1:0] intercept_rom;
    always @* begin
        case (seg)
            5'd0: begin slope_rom = 16'sd8496; intercept_rom = -26'sd7696; end
            5'd1: begin slope_rom = 16'sd9103; intercept_rom = -26'sd123127; end
            5'd2: begin slope_rom = 16'sd9815; intercept_rom = -26'sd401444; end
            5'd3: begin slope_rom = 16'sd10519; intercept_rom = -26'sd846649; end
            5'd4: begin slope_rom = 16'sd11102; intercept_rom = -26'sd1331584; end
            5'd5: begin slope_rom = 16'sd11661; intercept_rom = -26'sd1902443; end
            5'd6: begin slope_rom = 16'sd12345; intercept_rom = -26'sd2739694; end
            5'd7: begin slope_rom = 16'sd12949; intercept_rom = -26'sd3623800; end
            5'd8: begin slope_rom = 16'sd13560; intercept_rom = -26'sd4644090; end
            5'd9: begin slope_rom = 16'sd14213; intercept_rom = -26'sd5897338; end
            5'd10: begin slope_rom = 16'sd14756; intercept_rom = -26'sd7074356; end
            5'd11: begin slope_rom = 16'sd15241; intercept_rom = -26'sd8227046; end
            5'd12: begin slope_rom = 16'sd15824; intercept_rom = -26'sd9758594; end
            5'd13: begin slope_rom = 16'sd16383; intercept_rom = -26'sd11392105; end
            5'd14: begin slope_rom = 16'sd16850; intercept_rom = -26'sd12899660; end
            5'd15: begin slope_rom = 16'sd17278; intercept_rom = -26'sd14405864; end
            5'd16: begin slope_rom = 16'sd17681; intercept_rom = -26'sd15953311; end
            5'd17: begin slope_rom = 16'sd18016; intercept_rom = -26'sd17365282; end
            5'd18: begin slope_rom = 16'sd18290; intercept_rom = -26'sd18628524; end
            5'd19: begin slope_rom = 16'sd18469; intercept_rom = -26'sd19542410; end
            5'd20: begin slope_rom = 16'sd18291; intercept_rom = -26'sd18370534; end
            5'd21: begin slope_rom = 16'sd18079; intercept_rom = -26'sd16840982; end
            5'd22: begin slope_rom = 16'sd17848; intercept_rom = -26'sd15049696; end
            5'd23: begin slope_rom = 16'sd17615; intercept_rom = -26'sd13112154; end
            5'd24: begin slope_rom = 16'sd17391; intercept_rom = -26'sd11132393; end
            5'd25: begin slope_rom = 16'sd17174; intercept_rom = -26'sd9090280; end
            5'd26: begin slope_rom = 16'sd16974; intercept_rom = -26'sd7090516; end
            5'd27: begin slope_rom = 16'sd16787; intercept_rom = -26'sd5092397; end
            5'd28: begin slope_rom = 16'sd16633; intercept_rom = -26'sd3327756; end
            5'd29: begin slope_rom = 16'sd16513; intercept_rom = -26'sd1842709; end
            5'd30: begin slope_rom = 16'sd16425; intercept_rom = -26'sd649220; end
            5'd31: begin slope_rom = 16'sd16385; intercept_rom = -26'sd24615; end
        endcase
    end


    assign slope = slope_rom;
    assign intercept = intercept_rom;
endmodule

`default_nettype wire

// verilator lint_on DECLFILENAME

// Generated by approxgen 0.1.0; do not edit.
// name gelu_int16: gelu
// spec hash ec16116f522e01e0
// input  int16 scale 2^-12, domain codes -32768..32767
// output int16 scale 2^-12
// form pwl, 32 segments, search exact, seed 0, objective max; folded (minus-x): y(-h) = g(h) - h, the half 0..32768 in int17
// measured over every domain code: max error 1.1356 LSB, 8436 mismatches vs correctly rounded, max abs error 0.000277252, mse 5.51369e-09
// correctly rounded table: max error 0.4999 LSB
`default_nettype none
//
// Coefficient LUT part of a fit folded by symmetry: gelu_int16_half_lut is the segment decoder and
// coefficient ROM of the half g, selected by h = |x| (unsigned; its header states the datapath
// the coefficients feed). The reconstruction is left to the datapath outside:
//   g = that datapath's result for h, saturated to G_BITS (signed);
//   y = sat(g) for x >= 0, y = sat(g(h) - h) for x < 0 (h = -x), computed in WIDE_BITS
//   (signed: every value fits), saturated to the output format.
module gelu_int16_lut (x, slope, intercept);
    localparam integer IN_BITS   = 16;
    // For the datapath outside: the widths of g and of the reconstruction.
    // verilator lint_off UNUSED
    localparam integer G_BITS    = 17;
    localparam integer WIDE_BITS = 18;
    // verilator lint_on UNUSED

    input  wire signed [IN_BITS-1:0] x;
    output wire signed [15:0] slope;
    output wire signed [25:0] intercept;

    wire x_neg = x[IN_BITS-1];
    // |x|: 2^(IN_BITS-1) fits the unsigned width
    wire [IN_BITS-1:0] x_abs = x_neg ? $unsigned(-x) : $unsigned(x);
    gelu_int16_half_lut u (
        .x(x_abs), .slope(slope), .intercept(intercept));
endmodule

`default_nettype wire
