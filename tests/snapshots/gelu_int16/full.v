// verilator lint_off DECLFILENAME
// gelu_int16_half: the half of gelu_int16, g(h) for h = |x| >= 0 (f not saturated); gelu_int16 below reconstructs the whole.
`default_nettype none
//
// Full datapath: y = sat((slope * x + bias) >>> SHIFT) with, per segment, the ROM constant
// bias = (intercept << 0) + 8192 (the rounding offset).
// Every wire is exactly as wide as its value range over all input codes.
module gelu_int16_half (x, y);
    localparam integer IN_BITS      = 16;
    localparam integer OUT_BITS     = 17;
    localparam integer SEG_BITS     = 5;
    localparam integer SLOPE_BITS   = 16;
    localparam integer PRODUCT_BITS = 32;
    localparam integer BIAS_BITS    = 26;
    localparam integer ACC_BITS     = 32;
    localparam integer SHIFT        = 14;
    localparam integer SHIFTED_BITS = 18;

    input  wire [IN_BITS-1:0] x;
    output wire signed [OUT_BITS-1:0] y;

    // Segment decoder: seg = number of breakpoints <= x.
    reg [SEG_BITS-1:0] seg;
    always @* begin
        seg = 5'd0;
        if (x >= 16'd202) seg = 5'd1;
        if (x >= 16'd406) seg = 5'd2;
        if (x >= 16'd626) seg = 5'd3;
        if (x >= 16'd829) seg = 5'd4;
        if (x >= 16'd1031) seg = 5'd5;
        if (x >= 16'd1242) seg = 5'd6;
        if (x >= 16'd1470) seg = 5'd7;
        if (x >= 16'd1692) seg = 5'd8;
        if (x >= 16'd1922) seg = 5'd9;
        if (x >= 16'd2153) seg = 5'd10;
        if (x >= 16'd2393) seg = 5'd11;
        if (x >= 16'd2649) seg = 5'd12;
        if (x >= 16'd2919) seg = 5'd13;
        if (x >= 16'd3229) seg = 5'd14;
        if (x >= 16'd3534) seg = 5'd15;
        if (x >= 16'd3856) seg = 5'd16;
        if (x >= 16'd4198) seg = 5'd17;
        if (x >= 16'd4602) seg = 5'd18;
        if (x >= 16'd5111) seg = 5'd19;
        if (x >= 16'd6596) seg = 5'd20;
        if (x >= 16'd7206) seg = 5'd21;
        if (x >= 16'd7766) seg = 5'd22;
        if (x >= 16'd8304) seg = 5'd23;
        if (x >= 16'd8849) seg = 5'd24;
        if (x >= 16'd9404) seg = 5'd25;
        if (x >= 16'd10003) seg = 5'd26;
        if (x >= 16'd10670) seg = 5'd27;
        if (x >= 16'd11430) seg = 5'd28;
        if (x >= 16'd12336) seg = 5'd29;
        if (x >= 16'd13584) seg = 5'd30;
        if (x >= 16'd15638) seg = 5'd31;
    end

    // Coefficient ROM, one entry per segment.
    reg signed [SLOPE_BITS-1:0] slope_rom;
    reg signed [BIAS_BITS-1:0] bias_rom;
    always @* begin
        case (seg)
            5'd0: begin slope_rom = 16'sd8496; bias_rom = 26'sd542; end
            5'd1: begin slope_rom = 16'sd9148; bias_rom = -26'sd127492; end
            5'd2: begin slope_rom = 16'sd9813; bias_rom = -26'sd395483; end
            5'd3: begin slope_rom = 16'sd10482; bias_rom = -26'sd810196; end
            5'd4: begin slope_rom = 16'sd11095; bias_rom = -26'sd1316854; end
            5'd5: begin slope_rom = 16'sd11716; bias_rom = -26'sd1953884; end
            5'd6: begin slope_rom = 16'sd12345; bias_rom = -26'sd2733161; end
            5'd7: begin slope_rom = 16'sd12986; bias_rom = -26'sd3671990; end
            5'd8: begin slope_rom = 16'sd13587; bias_rom = -26'sd4686708; end
            5'd9: begin slope_rom = 16'sd14179; bias_rom = -26'sd5821571; end
            5'd10: begin slope_rom = 16'sd14734; bias_rom = -26'sd7014072; end
            5'd11: begin slope_rom = 16'sd15285; bias_rom = -26'sd8329185; end
            5'd12: begin slope_rom = 16'sd15828; bias_rom = -26'sd9764356; end
            5'd13: begin slope_rom = 16'sd16383; bias_rom = -26'sd11383873; end
            5'd14: begin slope_rom = 16'sd16850; bias_rom = -26'sd12891468; end
            5'd15: begin slope_rom = 16'sd17291; bias_rom = -26'sd14444683; end
            5'd16: begin slope_rom = 16'sd17671; bias_rom = -26'sd15907142; end
            5'd17: begin slope_rom = 16'sd18002; bias_rom = -26'sd17294508; end
            5'd18: begin slope_rom = 16'sd18281; bias_rom = -26'sd18576778; end
            5'd19: begin slope_rom = 16'sd18469; bias_rom = -26'sd19534218; end
            5'd20: begin slope_rom = 16'sd18292; bias_rom = -26'sd18368722; end
            5'd21: begin slope_rom = 16'sd18082; bias_rom = -26'sd16856290; end
            5'd22: begin slope_rom = 16'sd17851; bias_rom = -26'sd15064334; end
            5'd23: begin slope_rom = 16'sd17618; bias_rom = -26'sd13130722; end
            5'd24: begin slope_rom = 16'sd17391; bias_rom = -26'sd11123792; end
            5'd25: begin slope_rom = 16'sd17178; bias_rom = -26'sd9121562; end
            5'd26: begin slope_rom = 16'sd16975; bias_rom = -26'sd7092014; end
            5'd27: begin slope_rom = 16'sd16795; bias_rom = -26'sd5172626; end
            5'd28: begin slope_rom = 16'sd16639; bias_rom = -26'sd3391318; end
            5'd29: begin slope_rom = 16'sd16516; bias_rom = -26'sd1874972; end
            5'd30: begin slope_rom = 16'sd16425; bias_rom = -26'sd641119; end
            5'd31: begin slope_rom = 16'sd16385; bias_rom = -26'sd16423; end
        endcase
    end

    // Multiply-accumulate, exact in ACC_BITS; x zero-extended to a signed operand.
    wire signed [IN_BITS:0] x_operand = $signed({1'b0, x});
    wire signed [PRODUCT_BITS-1:0] product = slope_rom * x_operand;
    // The low SHIFT bits only carry into the result.
    // verilator lint_off UNUSED
    wire signed [ACC_BITS-1:0] acc = product + {{6{bias_rom[25]}}, bias_rom};
    // verilator lint_on UNUSED
    wire signed [SHIFTED_BITS-1:0] shifted = acc[SHIFT +: SHIFTED_BITS];  // acc >>> SHIFT

    // Saturation to the output codes.
    assign y = (shifted > 18'sd65535) ? 17'sd65535 : shifted[16:0];
endmodule

`default_nettype wire

// verilator lint_on DECLFILENAME

// Generated by approxgen 0.1.0; do not edit.
// name gelu_int16: gelu
// spec hash ec16116f522e01e0
// input  int16 scale 2^-12, domain codes -32768..32767
// output int16 scale 2^-12
// form pwl, 32 segments, search exact, seed 0, objective max; folded (minus-x): y(-h) = g(h) - h, the half 0..32768 in int17
// measured over every domain code: max error 0.9426 LSB, 8464 mismatches vs correctly rounded, max abs error 0.000230137, mse 5.43746e-09
// correctly rounded table: max error 0.4999 LSB
`default_nettype none
//
// Folded by symmetry: gelu_int16_half computes g = y_half for |x| (unsigned), and
// y = sat(g) for x >= 0, y = sat(y_wide - x_wide) for x < 0, exact in WIDE_BITS.
module gelu_int16 (x, y);
    localparam integer IN_BITS   = 16;
    localparam integer OUT_BITS  = 16;
    localparam integer G_BITS    = 17;
    localparam integer WIDE_BITS = 18;

    input  wire signed [IN_BITS-1:0] x;
    output wire signed [OUT_BITS-1:0] y;

    wire x_neg = x[IN_BITS-1];
    // |x|: 2^(IN_BITS-1) fits the unsigned width
    wire [IN_BITS-1:0] x_abs = x_neg ? $unsigned(-x) : $unsigned(x);
    wire signed [G_BITS-1:0] y_half;  // g(|x|)
    gelu_int16_half u (.x(x_abs), .y(y_half));

    wire signed [WIDE_BITS-1:0] y_wide = {y_half[16], y_half};
    wire signed [WIDE_BITS-1:0] x_wide = $signed({2'd0, x_abs});
    wire signed [WIDE_BITS-1:0] shifted = x_neg ? y_wide - x_wide : y_wide;
    assign y = (shifted > 18'sd32767) ? 16'sd32767 : (shifted < -18'sd32768) ? 16'sh8000 : shifted[15:0];
endmodule

`default_nettype wire
