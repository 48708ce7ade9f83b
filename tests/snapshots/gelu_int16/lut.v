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
    reg signed [INTERCEPT_BITS-1:0] intercept_rom;
    always @* begin
        case (seg)
            5'd0: begin slope_rom = 16'sd8496; intercept_rom = -26'sd7650; end
            5'd1: begin slope_rom = 16'sd9148; intercept_rom = -26'sd135684; end
            5'd2: begin slope_rom = 16'sd9813; intercept_rom = -26'sd403675; end
            5'd3: begin slope_rom = 16'sd10482; intercept_rom = -26'sd818388; end
            5'd4: begin slope_rom = 16'sd11095; intercept_rom = -26'sd1325046; end
            5'd5: begin slope_rom = 16'sd11716; intercept_rom = -26'sd1962076; end
            5'd6: begin slope_rom = 16'sd12345; intercept_rom = -26'sd2741353; end
            5'd7: begin slope_rom = 16'sd12986; intercept_rom = -26'sd3680182; end
            5'd8: begin slope_rom = 16'sd13587; intercept_rom = -26'sd4694900; end
            5'd9: begin slope_rom = 16'sd14179; intercept_rom = -26'sd5829763; end
            5'd10: begin slope_rom = 16'sd14734; intercept_rom = -26'sd7022264; end
            5'd11: begin slope_rom = 16'sd15285; intercept_rom = -26'sd8337377; end
            5'd12: begin slope_rom = 16'sd15828; intercept_rom = -26'sd9772548; end
            5'd13: begin slope_rom = 16'sd16383; intercept_rom = -26'sd11392065; end
            5'd14: begin slope_rom = 16'sd16850; intercept_rom = -26'sd12899660; end
            5'd15: begin slope_rom = 16'sd17291; intercept_rom = -26'sd14452875; end
            5'd16: begin slope_rom = 16'sd17671; intercept_rom = -26'sd15915334; end
            5'd17: begin slope_rom = 16'sd18002; intercept_rom = -26'sd17302700; end
            5'd18: begin slope_rom = 16'sd18281; intercept_rom = -26'sd18584970; end
            5'd19: begin slope_rom = 16'sd18469; intercept_rom = -26'sd19542410; end
            5'd20: begin slope_rom = 16'sd18292; intercept_rom = -26'sd18376914; end
            5'd21: begin slope_rom = 16'sd18082; intercept_rom = -26'sd16864482; end
            5'd22: begin slope_rom = 16'sd17851; intercept_rom = -26'sd15072526; end
            5'd23: begin slope_rom = 16'sd17618; intercept_rom = -26'sd13138914; end
            5'd24: begin slope_rom = 16'sd17391; intercept_rom = -26'sd11131984; end
            5'd25: begin slope_rom = 16'sd17178; intercept_rom = -26'sd9129754; end
            5'd26: begin slope_rom = 16'sd16975; intercept_rom = -26'sd7100206; end
            5'd27: begin slope_rom = 16'sd16795; intercept_rom = -26'sd5180818; end
            5'd28: begin slope_rom = 16'sd16639; intercept_rom = -26'sd3399510; end
            5'd29: begin slope_rom = 16'sd16516; intercept_rom = -26'sd1883164; end
            5'd30: begin slope_rom = 16'sd16425; intercept_rom = -26'sd649311; end
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
// measured over every domain code: max error 0.9426 LSB, 8464 mismatches vs correctly rounded, max abs error 0.000230137, mse 5.43746e-09
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
