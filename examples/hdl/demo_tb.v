// A small top for the generated pipelined gelu_int8 (input and output int8, scale 2^-4): stream
// a few inputs, one per clock, and print what comes out LATENCY cycles later in real units.
`default_nettype none
module demo_tb;
    reg clk = 1'b0;
    reg rst_n = 1'b0;
    reg in_valid = 1'b0;
    reg signed [7:0] x = 8'sd0;
    wire out_valid;
    wire signed [7:0] y;

    gelu_int8 dut (.clk(clk), .rst_n(rst_n), .in_valid(in_valid), .x(x),
                   .out_valid(out_valid), .y(y));

    always #5 clk = ~clk;

    // Inputs -4.0, -2.0, ..., 4.0 (codes of scale 2^-4).
    integer n;
    initial begin
        @(negedge clk) rst_n = 1'b1;
        for (n = -4; n <= 4; n = n + 1) begin
            @(negedge clk);
            in_valid = 1'b1;
            x = n * 16;
        end
        @(negedge clk) in_valid = 1'b0;
        repeat (4) @(negedge clk);
        $finish;
    end

    // Inputs in flight, to print each output next to its input.
    reg signed [7:0] sent [0:15];
    integer head = 0, tail = 0;
    always @(posedge clk) begin
        if (in_valid && rst_n) begin
            sent[head % 16] <= x;
            head <= head + 1;
        end
        if (out_valid) begin
            $display("gelu(%6.3f) = %7.4f   (x code %4d -> y code %4d)", sent[tail % 16] / 16.0,
                     y / 16.0, sent[tail % 16], y);
            tail <= tail + 1;
        end
    end
endmodule
`default_nettype wire
