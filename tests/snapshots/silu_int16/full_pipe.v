// verilator lint_off DECLFILENAME
// silu_int16_half: the half of silu_int16, g(h) for h = |x| >= 0 (f not saturated); silu_int16 below reconstructs the whole.
`default_nettype none
//
// Full datapath: y = sat((slope * x + bias) >>> SHIFT) with, per segment, the ROM constant
// bias = (intercept << 0) + 8192 (the rounding offset).
// Every wire is exactly as wide as its value range over all input codes.
module silu_int16_half (x, y);
    localparam integer IN_BITS      = 16;
    localparam integer OUT_BITS     = 16;
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
    reg signed [BIAS_BITS-1:0] bias_rom;
    always @* begin
        case (seg)
            5'd0: begin slope_rom = 16'sd8527; bias_rom = -26'sd8470; end
            5'd1: begin slope_rom = 16'sd9167; bias_rom = -26'sd218179; end
            5'd2: begin slope_rom = 16'sd9797; bias_rom = -26'sd626100; end
            5'd3: begin slope_rom = 16'sd10432; bias_rom = -26'sd1241920; end
            5'd4: begin slope_rom = 16'sd11053; bias_rom = -26'sd2047924; end
            5'd5: begin slope_rom = 16'sd11661; bias_rom = -26'sd3035538; end
            5'd6: begin slope_rom = 16'sd12275; bias_rom = -26'sd4237898; end
            5'd7: begin slope_rom = 16'sd12877; bias_rom = -26'sd5629827; end
            5'd8: begin slope_rom = 16'sd13452; bias_rom = -26'sd7161196; end
            5'd9: begin slope_rom = 16'sd13997; bias_rom = -26'sd8806689; end
            5'd10: begin slope_rom = 16'sd14538; bias_rom = -26'sd10640442; end
            5'd11: begin slope_rom = 16'sd15049; bias_rom = -26'sd12569167; end
            5'd12: begin slope_rom = 16'sd15545; bias_rom = -26'sd14642257; end
            5'd13: begin slope_rom = 16'sd16014; bias_rom = -26'sd16804672; end
            5'd14: begin slope_rom = 16'sd16515; bias_rom = -26'sd19363014; end
            5'd15: begin slope_rom = 16'sd16921; bias_rom = -26'sd21658046; end
            5'd16: begin slope_rom = 16'sd17273; bias_rom = -26'sd23843176; end
            5'd17: begin slope_rom = 16'sd17579; bias_rom = -26'sd25932582; end
            5'd18: begin slope_rom = 16'sd17826; bias_rom = -26'sd27796830; end
            5'd19: begin slope_rom = 16'sd17996; bias_rom = -26'sd29234294; end
            5'd20: begin slope_rom = 16'sd17855; bias_rom = -26'sd27624627; end
            5'd21: begin slope_rom = 16'sd17691; bias_rom = -26'sd25543546; end
            5'd22: begin slope_rom = 16'sd17521; bias_rom = -26'sd23187837; end
            5'd23: begin slope_rom = 16'sd17352; bias_rom = -26'sd20650794; end
            5'd24: begin slope_rom = 16'sd17188; bias_rom = -26'sd17991262; end
            5'd25: begin slope_rom = 16'sd17036; bias_rom = -26'sd15334676; end
            5'd26: begin slope_rom = 16'sd16898; bias_rom = -26'sd12737804; end
            5'd27: begin slope_rom = 16'sd16774; bias_rom = -26'sd10223550; end
            5'd28: begin slope_rom = 16'sd16662; bias_rom = -26'sd7764948; end
            5'd29: begin slope_rom = 16'sd16569; bias_rom = -26'sd5541975; end
            5'd30: begin slope_rom = 16'sd16495; bias_rom = -26'sd3602316; end
            5'd31: begin slope_rom = 16'sd16441; bias_rom = -26'sd2030081; end
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
    assign y = (shifted > 18'sd32767) ? 16'sd32767 : shifted[15:0];
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
// Folded by symmetry: silu_int16_half computes g = y_half for |x| (unsigned), and
// y = sat(g) for x >= 0, y = sat(y_wide - x_wide) for x < 0, exact in WIDE_BITS; y is registered.
module silu_int16 (clk, rst_n, in_valid, x, out_valid, y);
    localparam integer IN_BITS   = 16;
    localparam integer OUT_BITS  = 16;
    localparam integer G_BITS    = 16;
    localparam integer WIDE_BITS = 17;
    localparam integer LATENCY   = 1;

    input  wire clk;
    input  wire rst_n;     // synchronous, active low; clears the valid bits only
    input  wire in_valid;
    input  wire signed [IN_BITS-1:0] x;
    output wire out_valid;
    output wire signed [OUT_BITS-1:0] y;

    wire x_neg = x[IN_BITS-1];
    // |x|: 2^(IN_BITS-1) fits the unsigned width
    wire [IN_BITS-1:0] x_abs = x_neg ? $unsigned(-x) : $unsigned(x);
    wire signed [G_BITS-1:0] y_half;  // g(|x|)
    silu_int16_half u (.x(x_abs), .y(y_half));

    wire signed [WIDE_BITS-1:0] y_wide = {y_half[15], y_half};
    wire signed [WIDE_BITS-1:0] x_wide = $signed({1'd0, x_abs});
    wire signed [WIDE_BITS-1:0] shifted = x_neg ? y_wide - x_wide : y_wide;

    reg signed [OUT_BITS-1:0] y_s1;
    always @(posedge clk)
        y_s1 <= (shifted > 17'sd32767) ? 16'sd32767 : (shifted < -17'sd32768) ? 16'sh8000 : shifted[15:0];

    // Valid bits: out_valid follows in_valid by LATENCY cycles; rst_n clears them.
    reg [LATENCY-1:0] valid_q;
    always @(posedge clk) begin
        if (!rst_n)
            valid_q <= {LATENCY{1'b0}};
        else
            valid_q <= in_valid;
    end
    assign out_valid = valid_q[LATENCY-1];
    assign y = y_s1;
endmodule

`default_nettype wire
