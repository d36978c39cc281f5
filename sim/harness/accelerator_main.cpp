// Verilator testbench of the stitched accelerator (hw/stitch.py): streams frames from a
// file through in0_V, collects out0_V into a file, prints one JSON line of cycle counts
// and simulation speed. Built by sim/harness/verilator_harness.py:
//   verilator --cc --exe --build --top-module <top> --prefix Vdut
//             -CFLAGS "-DIN_WORD_BYTES=<n> -DOUT_WORD_BYTES=<m> -DSCALE=<s>"
//             <sources> accelerator_main.cpp
// Files hold whole stream words, little-endian, IN_WORD_BYTES / OUT_WORD_BYTES each
// (TDATA width in whole bytes, as FINN pads it).
//
// The LR frame size (--frame-height, --frame-width) is set on the top's frame_h/frame_w
// ports before reset is released. The input follows the AXI4-Stream video convention
// (TUSER on a frame's first word, TLAST on a line's last word); the output's TUSER/TLAST
// are checked against the HR frame (SCALE times the LR lines), and the top's sticky
// status must stay 0.
//
// Usage: harness --input F --output F --frames N --in-words-per-frame N
//                --out-words-per-frame N --frame-height H --frame-width W [--seed S]
//                [--idle-prob P] [--stall-prob P] [--deadlock-cycles N]
// Exit codes: 0 done, 1 bad arguments or files or a wrong output TUSER/TLAST/status,
// 2 deadlock (no transfer for N cycles).
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "Vdut.h"
#include "verilated.h"

#if !defined(IN_WORD_BYTES) || !defined(OUT_WORD_BYTES) || !defined(SCALE)
#error "define IN_WORD_BYTES, OUT_WORD_BYTES (TDATA bytes of in0_V and out0_V) and SCALE"
#endif

// the ports must hold the words of the files (references: sizeof gives the port's storage)
static_assert(sizeof(std::declval<Vdut>().in0_V_TDATA) >= IN_WORD_BYTES, "in0_V too narrow");
static_assert(sizeof(std::declval<Vdut>().out0_V_TDATA) >= OUT_WORD_BYTES, "out0_V too narrow");

namespace {

constexpr int RESET_CYCLES = 4;

struct Options {
    std::string input, output;
    uint64_t frames = 0, in_words_per_frame = 0, out_words_per_frame = 0;
    uint64_t frame_height = 0, frame_width = 0;  // LR pixels
    uint64_t seed = 0, deadlock_cycles = 1000000;
    double idle_prob = 0.0, stall_prob = 0.0;
};

Options parse_options(int argc, char** argv) {
    std::map<std::string, std::string> values;
    for (int i = 1; i + 1 < argc; i += 2) values[argv[i]] = argv[i + 1];
    if (argc % 2 == 0) throw std::runtime_error("options come in --name value pairs");
    auto take = [&values](const std::string& name, bool required) {
        auto found = values.find(name);
        if (found == values.end()) {
            if (required) throw std::runtime_error("missing option " + name);
            return std::string();
        }
        std::string value = found->second;
        values.erase(found);
        return value;
    };
    auto take_uint = [&take](const std::string& name, bool required, uint64_t fallback) {
        const std::string value = take(name, required);
        return value.empty() ? fallback : std::stoull(value);
    };
    auto take_prob = [&take](const std::string& name) {
        const std::string value = take(name, false);
        return value.empty() ? 0.0 : std::stod(value);
    };
    Options options;
    options.input = take("--input", true);
    options.output = take("--output", true);
    options.frames = take_uint("--frames", true, 0);
    options.in_words_per_frame = take_uint("--in-words-per-frame", true, 0);
    options.out_words_per_frame = take_uint("--out-words-per-frame", true, 0);
    options.frame_height = take_uint("--frame-height", true, 0);
    options.frame_width = take_uint("--frame-width", true, 0);
    options.seed = take_uint("--seed", false, options.seed);
    options.deadlock_cycles = take_uint("--deadlock-cycles", false, options.deadlock_cycles);
    options.idle_prob = take_prob("--idle-prob");
    options.stall_prob = take_prob("--stall-prob");
    if (!values.empty()) throw std::runtime_error("unknown option " + values.begin()->first);
    return options;
}

std::vector<uint8_t> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error("cannot write " + path);
}

// Ports up to 64 bits are C integers; wider ones are VlWide arrays of 32-bit words.
template <typename Port>
void load_word(Port& port, const uint8_t* bytes, int count) {
    uint64_t value = 0;
    for (int i = count - 1; i >= 0; --i) value = value << 8 | bytes[i];
    port = static_cast<Port>(value);
}

template <std::size_t Words>
void load_word(VlWide<Words>& port, const uint8_t* bytes, int count) {
    for (std::size_t w = 0; w < Words; ++w) {
        EData value = 0;
        for (int b = 3; b >= 0; --b) {
            const int i = static_cast<int>(w) * 4 + b;
            value = value << 8 | (i < count ? bytes[i] : 0);
        }
        port.at(w) = value;
    }
}

template <typename Port>
void store_word(const Port& port, uint8_t* bytes, int count) {
    const uint64_t value = port;
    for (int i = 0; i < count; ++i) bytes[i] = static_cast<uint8_t>(value >> (8 * i));
}

template <std::size_t Words>
void store_word(const VlWide<Words>& port, uint8_t* bytes, int count) {
    for (int i = 0; i < count; ++i) bytes[i] = static_cast<uint8_t>(port.at(i / 4) >> (8 * (i % 4)));
}

// xorshift64*: random idles and stalls cost next to nothing per cycle
class Random {
  public:
    explicit Random(uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ull + 1) {}
    bool chance(double probability) {
        if (probability <= 0.0) return false;
        state_ ^= state_ >> 12;
        state_ ^= state_ << 25;
        state_ ^= state_ >> 27;
        return static_cast<double>((state_ * 0x2545F4914F6CDD1Dull) >> 11) * 0x1.0p-53 < probability;
    }

  private:
    uint64_t state_;
};

struct Deadlock : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct Measurement {
    uint64_t cycles = 0;  // after reset, up to the last output word
    uint64_t first_transfer = 0;
    std::vector<uint64_t> frame_ends;  // cycle of every frame's last output word
    double wall_seconds = 0.0;
    double cpu_seconds = 0.0;  // of this process: a loaded machine slows wall time, not this
};

// inputs change while the clock is low; handshakes and output data are sampled before
// the rising edge, when they are what the DUT registers
void fall(Vdut& top) {
    top.ap_clk = 0;
    top.eval();
}

void rise(Vdut& top) {
    top.ap_clk = 1;
    top.eval();
}

void reset(Vdut& top, const Options& options) {
    top.ap_rst_n = 0;
    top.frame_h = static_cast<uint16_t>(options.frame_height);
    top.frame_w = static_cast<uint16_t>(options.frame_width);
    top.in0_V_TVALID = 0;
    top.out0_V_TREADY = 0;
    for (int i = 0; i < RESET_CYCLES; ++i) {
        fall(top);
        rise(top);
    }
    top.ap_rst_n = 1;
}

// output word `index` carries TUSER on a frame's first word, TLAST on a line's last
void check_video_sideband(const Vdut& top, uint64_t index, uint64_t frame_words,
                          uint64_t line_words) {
    const bool tuser = index % frame_words == 0, tlast = index % line_words == line_words - 1;
    if (static_cast<bool>(top.out0_V_TUSER) != tuser || static_cast<bool>(top.out0_V_TLAST) != tlast)
        throw std::runtime_error("output word " + std::to_string(index) + " has TUSER "
                                 + std::to_string(top.out0_V_TUSER) + " TLAST "
                                 + std::to_string(top.out0_V_TLAST) + ", expected "
                                 + std::to_string(tuser) + " " + std::to_string(tlast));
}

Measurement stream(Vdut& top, const Options& options, const std::vector<uint8_t>& input,
                   std::vector<uint8_t>& output) {
    const uint64_t words_in = options.frames * options.in_words_per_frame;
    const uint64_t words_out = options.frames * options.out_words_per_frame;
    const uint64_t in_line_words = options.in_words_per_frame / options.frame_height;
    const uint64_t out_line_words = options.out_words_per_frame / (options.frame_height * SCALE);
    Random idles(options.seed), stalls(options.seed + 100);
    Measurement m;
    uint64_t sent = 0, received = 0, last_progress = 0;
    bool presenting = false;  // a word is on in0_V
    const auto start = std::chrono::steady_clock::now();
    const std::clock_t cpu_start = std::clock();
    while (received < words_out) {
        // a word stays on in0_V until accepted (AXI), so idles fall between words only
        if (!presenting && sent < words_in && !idles.chance(options.idle_prob)) {
            load_word(top.in0_V_TDATA, &input[sent * IN_WORD_BYTES], IN_WORD_BYTES);
            top.in0_V_TUSER = sent % options.in_words_per_frame == 0;
            top.in0_V_TLAST = sent % in_line_words == in_line_words - 1;
            presenting = true;
        }
        top.in0_V_TVALID = presenting;
        top.out0_V_TREADY = !stalls.chance(options.stall_prob);
        fall(top);
        const bool in_fire = top.in0_V_TVALID && top.in0_V_TREADY;
        const bool out_fire = top.out0_V_TVALID && top.out0_V_TREADY;
        if (out_fire) {
            store_word(top.out0_V_TDATA, &output[received * OUT_WORD_BYTES], OUT_WORD_BYTES);
            check_video_sideband(top, received, options.out_words_per_frame, out_line_words);
        }
        rise(top);
        ++m.cycles;
        if (out_fire && ++received % options.out_words_per_frame == 0) m.frame_ends.push_back(m.cycles);
        if (in_fire) {
            if (sent++ == 0) m.first_transfer = m.cycles;
            presenting = false;
        }
        if (in_fire || out_fire) {
            last_progress = m.cycles;
        } else if (m.cycles - last_progress >= options.deadlock_cycles) {
            throw Deadlock("deadlock: no transfer for " + std::to_string(options.deadlock_cycles)
                           + " cycles at cycle " + std::to_string(m.cycles) + " (words in "
                           + std::to_string(sent) + " of " + std::to_string(words_in) + ", out "
                           + std::to_string(received) + " of " + std::to_string(words_out) + ")");
        }
    }
    m.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    m.cpu_seconds = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
    return m;
}

void print_json(const Options& options, const Measurement& m) {
    const uint64_t first_frame = m.frame_ends.front() - m.first_transfer + 1;
    // mean over consecutive frames; a single frame has only its latency
    const double interval = m.frame_ends.size() > 1
        ? static_cast<double>(m.frame_ends.back() - m.frame_ends.front()) / (m.frame_ends.size() - 1)
        : static_cast<double>(first_frame);
    std::printf("{\"frames\": %llu, \"words_in\": %llu, \"words_out\": %llu, \"cycles\": %llu, "
                "\"first_frame_cycles\": %llu, \"frame_interval_cycles\": %.1f, "
                "\"wall_seconds\": %.6f, \"cycles_per_second\": %.0f, \"cpu_seconds\": %.6f, "
                "\"cycles_per_cpu_second\": %.0f}\n",
                static_cast<unsigned long long>(options.frames),
                static_cast<unsigned long long>(options.frames * options.in_words_per_frame),
                static_cast<unsigned long long>(options.frames * options.out_words_per_frame),
                static_cast<unsigned long long>(m.cycles), static_cast<unsigned long long>(first_frame),
                interval, m.wall_seconds, m.cycles / m.wall_seconds, m.cpu_seconds,
                m.cycles / m.cpu_seconds);
}

void check_input_size(const Options& options, const std::vector<uint8_t>& input) {
    if (options.frames == 0 || options.in_words_per_frame == 0 || options.out_words_per_frame == 0)
        throw std::runtime_error("frames and words per frame must be positive");
    if (options.frame_height == 0 || options.frame_width == 0 || options.frame_height > 0xFFFF
        || options.frame_width > 0xFFFF)
        throw std::runtime_error("frame height and width must be 1..65535 pixels");
    if (options.in_words_per_frame % (options.frame_height * options.frame_width)
        || options.out_words_per_frame % (options.frame_height * options.frame_width * SCALE))
        // an output word may hold several HR pixels of a line (DepthToSpace's output)
        throw std::runtime_error("words per frame are not whole LR pixels of a "
                                 + std::to_string(options.frame_height) + "x"
                                 + std::to_string(options.frame_width) + " frame");
    const uint64_t expected = options.frames * options.in_words_per_frame * IN_WORD_BYTES;
    if (input.size() != expected)
        throw std::runtime_error(options.input + " holds " + std::to_string(input.size())
                                 + " bytes, expected " + std::to_string(expected));
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const Options options = parse_options(argc, argv);
        const std::vector<uint8_t> input = read_file(options.input);
        check_input_size(options, input);
        const auto context = std::make_unique<VerilatedContext>();
        Vdut top(context.get());
        std::vector<uint8_t> output(options.frames * options.out_words_per_frame * OUT_WORD_BYTES);
        reset(top, options);
        const Measurement measurement = stream(top, options, input, output);
        if (top.status != 0)
            throw std::runtime_error("status " + std::to_string(top.status)
                                     + ": the input edge flagged the harness's frames");
        top.final();
        write_file(options.output, output);
        print_json(options, measurement);
        return 0;
    } catch (const Deadlock& error) {
        std::fprintf(stderr, "%s\n", error.what());
        return 2;
    } catch (const std::exception& error) {
        std::fprintf(stderr, "error: %s\n", error.what());
        return 1;
    }
}
