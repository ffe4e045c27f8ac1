// The layer-level benchmark's oneDNN peer (bench/layers/README.md): one f32 forward_training +
// backward of an LSTM / linear-before-reset GRU stack with oneDNN 2.6's RNN primitives, computing
// what PyTorch's nn.LSTM / nn.GRU compute (checked against PyTorch by bench/layers/run_layers.py).
//
//     onednn_layers --layer W1-LSTM --threads-config 2T --steps 10 --warmup 3
//     onednn_layers --layer W4-BiGRU --threads-config 1T --dump /tmp/dir   # output and gradients
//
// "1T" / "2T" = 1 / 2 OpenMP threads (oneDNN's CPU runtime in Debian's libdnnl).
//
// How PyTorch's semantics are met:
// - One primitive per layer (L = 1), the layers chained by the caller: the first layer's input
//   width differs from the others', and for a bidirectional stack oneDNN's multi-layer mode keeps
//   the two directions apart, while PyTorch feeds both directions' concatenated output to the next
//   layer. A bidirectional layer is one `bidirectional_concat` primitive, whose output is
//   PyTorch's (T, N, 2H) concatenation [forward, reverse].
// - The weights are kept as PyTorch stores them, (G*H, in) row-major = oneDNN's ldgoi, with the
//   gates in oneDNN's order: LSTM i, f, c~, o (= PyTorch's i, f, g, o); lbr_gru u, r, o (PyTorch's
//   r, z, n with r and z swapped). The bias is oneDNN's: LSTM b_ih + b_hh per gate; lbr_gru
//   (b_iz + b_hz, b_ir + b_hr, b_in, b_hn). The gate permutation and bias sums are done once, at
//   setup, as a framework keeping its parameters in oneDNN's order would; the gradients are mapped
//   back to PyTorch's parameters only for the dump.
// - An explicit zero initial state (src_iter, and src_iter_c for the LSTM): with none passed,
//   2.6.3 computes the weight_hh gradient of a unidirectional layer with h_t where h_{t-1} belongs
//   (--no-initial-state shows it; run_layers.py --show-peer-bug).
// - Timed per step, as a training step pays them: the reorders of the weights from ldgoi into
//   each primitive's layout (the f32 training path is the reference RNN driver over oneDNN's JIT
//   sgemm; its forward wants ldigo, its backward ldgoi), zeroing the weight gradients (the
//   backward accumulates into them), the forward of every layer and the backward of every layer.
//   Not timed: creating the primitives and allocating memory (once, as a framework caches them).
#include "layers.hpp"

#include <oneapi/dnnl/dnnl.hpp>
#include <oneapi/dnnl/dnnl_debug.h>
#include <omp.h>

#include <algorithm>
#include <cstring>
#include <unordered_map>

namespace {

using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;
namespace layers = bench::layers;

/// oneDNN's gate g holds PyTorch's gate kPerm[g].
constexpr int kLstmPerm[4] = {0, 1, 2, 3};
constexpr int kGruPerm[3] = {1, 0, 2};

float* ptr(const memory& m) { return static_cast<float*>(m.get_data_handle()); }

/// One layer (both directions when bidirectional): its primitives and memories.
struct Layer {
  std::int64_t in = 0;
  memory::desc user_w_layer_md, user_w_iter_md;
  memory w_layer, w_iter, bias;               // ldgoi, ldgoi, ldgo: the parameters
  memory src_iter, src_iter_c;                // zero initial state (empty with --no-initial-state)
  memory dst_layer, workspace;                // (T, N, D*H) output; what backward needs
  memory fwd_w_layer, fwd_w_iter;             // the weights in the forward's layout
  memory bwd_w_layer, bwd_w_iter;             // the weights in the backward's layout
  memory diff_w_layer, diff_w_iter, diff_bias;  // in the backward's layout
  memory diff_src_layer, diff_src_iter, diff_src_iter_c;
  memory diff_dst_layer;                      // the upstream gradient of dst_layer
  primitive fwd, bwd;
  std::vector<std::pair<reorder, std::pair<memory, memory>>> reorders;  // timed, every step
};

class Stack {
 public:
  Stack(const layers::LayerSpec& s, bool initial_state) : s_(s), eng_(engine::kind::cpu, 0), strm_(eng_) {
    const std::int64_t T = s.T, N = s.N, H = s.H, D = s.directions(), G = s.gates();
    const std::int64_t GB = 4;  // LSTM: 4 gates; lbr_gru: 3 gates + the bias of W_hn h
    const auto dir = D == 2 ? rnn_direction::bidirectional_concat : rnn_direction::unidirectional_left2right;
    input_ = memory({{T, N, s.I}, dt::f32, tag::tnc}, eng_);
    const auto x = layers::input_values(s);
    std::memcpy(ptr(input_), x.data(), x.size() * sizeof(float));

    for (std::int64_t l = 0; l < s.layers; ++l) {
      Layer ly;
      ly.in = s.input_size(l);
      const memory::desc src_md({T, N, ly.in}, dt::f32, tag::tnc);
      const memory::desc dst_md({T, N, D * H}, dt::f32, tag::tnc);
      const memory::desc iter_md = initial_state ? memory::desc({1, D, N, H}, dt::f32, tag::ldnc) : memory::desc();
      const memory::desc iter_c_md = s.lstm ? iter_md : memory::desc();
      const memory::desc any_w_layer({1, D, ly.in, G, H}, dt::f32, tag::any);
      const memory::desc any_w_iter({1, D, H, G, H}, dt::f32, tag::any);
      const memory::desc bias_md({1, D, GB, H}, dt::f32, tag::ldgo);
      ly.user_w_layer_md = memory::desc({1, D, ly.in, G, H}, dt::f32, tag::ldgoi);
      ly.user_w_iter_md = memory::desc({1, D, H, G, H}, dt::f32, tag::ldgoi);
      const memory::desc none;

      memory::desc fwd_wl, fwd_wi, bwd_wl, bwd_wi, dwl, dwi, ws_md;
      if (s.lstm) {
        lstm_forward::desc fd(prop_kind::forward_training, dir, src_md, iter_md, iter_c_md, any_w_layer, any_w_iter,
                              bias_md, dst_md, none, none);
        lstm_forward::primitive_desc fpd(fd, eng_);
        lstm_backward::desc bd(prop_kind::backward, dir, src_md, iter_md, iter_c_md, any_w_layer, any_w_iter, bias_md,
                               dst_md, none, none, src_md, iter_md, iter_c_md, any_w_layer, any_w_iter, bias_md, dst_md,
                               none, none);
        lstm_backward::primitive_desc bpd(bd, eng_, fpd);
        ly.fwd = lstm_forward(fpd);
        ly.bwd = lstm_backward(bpd);
        fwd_wl = fpd.weights_layer_desc(), fwd_wi = fpd.weights_iter_desc(), ws_md = fpd.workspace_desc();
        bwd_wl = bpd.weights_layer_desc(), bwd_wi = bpd.weights_iter_desc();
        dwl = bpd.diff_weights_layer_desc(), dwi = bpd.diff_weights_iter_desc();
      } else {
        lbr_gru_forward::desc fd(prop_kind::forward_training, dir, src_md, iter_md, any_w_layer, any_w_iter, bias_md,
                                 dst_md, none);
        lbr_gru_forward::primitive_desc fpd(fd, eng_);
        lbr_gru_backward::desc bd(prop_kind::backward, dir, src_md, iter_md, any_w_layer, any_w_iter, bias_md, dst_md,
                                  none, src_md, iter_md, any_w_layer, any_w_iter, bias_md, dst_md, none);
        lbr_gru_backward::primitive_desc bpd(bd, eng_, fpd);
        ly.fwd = lbr_gru_forward(fpd);
        ly.bwd = lbr_gru_backward(bpd);
        fwd_wl = fpd.weights_layer_desc(), fwd_wi = fpd.weights_iter_desc(), ws_md = fpd.workspace_desc();
        bwd_wl = bpd.weights_layer_desc(), bwd_wi = bpd.weights_iter_desc();
        dwl = bpd.diff_weights_layer_desc(), dwi = bpd.diff_weights_iter_desc();
      }
      ly.w_layer = memory(ly.user_w_layer_md, eng_);
      ly.w_iter = memory(ly.user_w_iter_md, eng_);
      ly.bias = memory(bias_md, eng_);
      if (initial_state) {
        ly.src_iter = zeros(iter_md);
        if (s.lstm) ly.src_iter_c = zeros(iter_c_md);
        ly.diff_src_iter = memory(iter_md, eng_);
        if (s.lstm) ly.diff_src_iter_c = memory(iter_c_md, eng_);
      }
      ly.dst_layer = memory(dst_md, eng_);
      ly.workspace = memory(ws_md, eng_);
      ly.fwd_w_layer = in_layout(ly, ly.w_layer, fwd_wl);
      ly.fwd_w_iter = in_layout(ly, ly.w_iter, fwd_wi);
      ly.bwd_w_layer = in_layout(ly, ly.w_layer, bwd_wl);
      ly.bwd_w_iter = in_layout(ly, ly.w_iter, bwd_wi);
      ly.diff_w_layer = memory(dwl, eng_);
      ly.diff_w_iter = memory(dwi, eng_);
      ly.diff_bias = memory(bias_md, eng_);
      ly.diff_src_layer = memory(src_md, eng_);
      if (l > 0) layers_.back().diff_dst_layer = ly.diff_src_layer;  // chained: this layer's d input
      log_ += "layer " + std::to_string(l) + ": weights_layer/iter forward " + layout(fwd_wl) + "/" + layout(fwd_wi) +
              ", backward " + layout(bwd_wl) + "/" + layout(bwd_wi) + ", their gradients " + layout(dwl) + "/" +
              layout(dwi) + "; " + std::to_string(ly.reorders.size()) + " weight reorders per step. ";
      layers_.push_back(std::move(ly));
      load_parameters(l);
    }
    layers_.back().diff_dst_layer = memory({{T, N, D * H}, dt::f32, tag::tnc}, eng_);
    const auto dy = layers::output_grad_values(s);
    std::memcpy(ptr(layers_.back().diff_dst_layer), dy.data(), dy.size() * sizeof(float));
  }

  /// One forward_training + backward of the whole stack, weight reorders included.
  void step() {
    for (auto& ly : layers_)
      for (auto& [r, io] : ly.reorders) r.execute(strm_, io.first, io.second);
    for (std::size_t l = 0; l < layers_.size(); ++l) {
      auto& ly = layers_[l];
      std::unordered_map<int, memory> args{{DNNL_ARG_SRC_LAYER, l == 0 ? input_ : layers_[l - 1].dst_layer},
                                           {DNNL_ARG_WEIGHTS_LAYER, ly.fwd_w_layer},
                                           {DNNL_ARG_WEIGHTS_ITER, ly.fwd_w_iter},
                                           {DNNL_ARG_BIAS, ly.bias},
                                           {DNNL_ARG_DST_LAYER, ly.dst_layer},
                                           {DNNL_ARG_WORKSPACE, ly.workspace}};
      if (ly.src_iter) args[DNNL_ARG_SRC_ITER] = ly.src_iter;
      if (ly.src_iter_c) args[DNNL_ARG_SRC_ITER_C] = ly.src_iter_c;
      ly.fwd.execute(strm_, args);
    }
    for (std::size_t l = layers_.size(); l-- > 0;) {
      auto& ly = layers_[l];
      for (const memory* m : {&ly.diff_w_layer, &ly.diff_w_iter, &ly.diff_bias})
        std::memset(m->get_data_handle(), 0, m->get_desc().get_size());
      std::unordered_map<int, memory> args{{DNNL_ARG_SRC_LAYER, l == 0 ? input_ : layers_[l - 1].dst_layer},
                                           {DNNL_ARG_WEIGHTS_LAYER, ly.bwd_w_layer},
                                           {DNNL_ARG_WEIGHTS_ITER, ly.bwd_w_iter},
                                           {DNNL_ARG_BIAS, ly.bias},
                                           {DNNL_ARG_DST_LAYER, ly.dst_layer},
                                           {DNNL_ARG_WORKSPACE, ly.workspace},
                                           {DNNL_ARG_DIFF_SRC_LAYER, ly.diff_src_layer},
                                           {DNNL_ARG_DIFF_WEIGHTS_LAYER, ly.diff_w_layer},
                                           {DNNL_ARG_DIFF_WEIGHTS_ITER, ly.diff_w_iter},
                                           {DNNL_ARG_DIFF_BIAS, ly.diff_bias},
                                           {DNNL_ARG_DIFF_DST_LAYER, ly.diff_dst_layer}};
      if (ly.src_iter) {
        args[DNNL_ARG_SRC_ITER] = ly.src_iter;
        args[DNNL_ARG_DIFF_SRC_ITER] = ly.diff_src_iter;
      }
      if (ly.src_iter_c) {
        args[DNNL_ARG_SRC_ITER_C] = ly.src_iter_c;
        args[DNNL_ARG_DIFF_SRC_ITER_C] = ly.diff_src_iter_c;
      }
      ly.bwd.execute(strm_, args);
    }
    strm_.wait();
  }

  /// Writes the output, the input's gradient and every parameter's gradient under PyTorch's names.
  void dump(const std::string& dir) {
    const std::int64_t H = s_.H, D = s_.directions(), G = s_.gates();
    write(dir, "output", layers_.back().dst_layer);
    write(dir, "input.grad", layers_.front().diff_src_layer);
    for (std::int64_t l = 0; l < s_.layers; ++l) {
      auto& ly = layers_[static_cast<std::size_t>(l)];
      const memory wl = to_user(ly.diff_w_layer, ly.user_w_layer_md), wi = to_user(ly.diff_w_iter, ly.user_w_iter_md);
      for (std::int64_t d = 0; d < D; ++d) {
        write_gates(dir, layers::param_name("weight_ih", l, d), ptr(wl) + d * G * H * ly.in, H * ly.in);
        write_gates(dir, layers::param_name("weight_hh", l, d), ptr(wi) + d * G * H * H, H * H);
        // d bias: LSTM b_ih and b_hh both get the gate's; lbr_gru: r and z as the LSTM, n splits.
        const float* db = ptr(ly.diff_bias) + d * 4 * H;
        std::vector<float> ih(static_cast<std::size_t>(G * H)), hh(ih.size());
        for (std::int64_t g = 0; g < G; ++g)
          for (std::int64_t o = 0; o < H; ++o) {
            const std::int64_t pt = (s_.lstm ? kLstmPerm[g] : kGruPerm[g]) * H + o;
            ih[static_cast<std::size_t>(pt)] = db[g * H + o];
            hh[static_cast<std::size_t>(pt)] = !s_.lstm && g == 2 ? db[3 * H + o] : db[g * H + o];
          }
        layers::write_f32(dir, layers::param_name("bias_ih", l, d) + ".grad", ih.data(), ih.size());
        layers::write_f32(dir, layers::param_name("bias_hh", l, d) + ".grad", hh.data(), hh.size());
      }
    }
  }

  /// The layouts the primitives chose and the reorders a step pays, for the log.
  const std::string& log() const { return log_; }

 private:
  /// "ldigo", "ldgoi" (dims by decreasing stride), "+pad" when the strides leave gaps.
  static std::string layout(const memory::desc& md) {
    if (md.data.format_kind != dnnl_blocked || md.data.format_desc.blocking.inner_nblks != 0)
      return dnnl_fmt_kind2str(md.data.format_kind);
    const auto& strides = md.data.format_desc.blocking.strides;
    std::vector<int> order(static_cast<std::size_t>(md.data.ndims));
    for (int i = 0; i < md.data.ndims; ++i) order[static_cast<std::size_t>(i)] = i;
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return strides[a] > strides[b]; });
    std::string name;
    std::int64_t dense = 1;
    bool padded = false;
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
      if (md.data.dims[*it] > 1 && strides[*it] != dense) padded = true;
      dense = strides[*it] * md.data.dims[*it];
    }
    for (int d : order) name += "ldigo"[d];
    return name + (padded ? "+pad" : "");
  }

  memory zeros(const memory::desc& md) {
    memory m(md, eng_);
    std::memset(m.get_data_handle(), 0, md.get_size());
    return m;
  }

  /// `user` itself if `wanted` is its layout, else a memory in `wanted` filled by a timed reorder.
  memory in_layout(Layer& ly, memory user, const memory::desc& wanted) {
    if (wanted == user.get_desc()) return user;
    memory m(wanted, eng_);
    ly.reorders.push_back({reorder(user, m), {user, m}});
    return m;
  }

  memory to_user(memory m, const memory::desc& user_md) {
    if (m.get_desc() == user_md) return m;
    memory out(user_md, eng_);
    reorder(m, out).execute(strm_, m, out);
    strm_.wait();
    return out;
  }

  /// Layer l's parameters from bench::init_values under PyTorch's names, into oneDNN's gate order.
  void load_parameters(std::int64_t l) {
    const std::int64_t H = s_.H, D = s_.directions(), G = s_.gates();
    auto& ly = layers_[static_cast<std::size_t>(l)];
    for (std::int64_t d = 0; d < D; ++d) {
      load_gates(layers::param_name("weight_ih", l, d), {G * H, ly.in}, ptr(ly.w_layer) + d * G * H * ly.in, H * ly.in);
      load_gates(layers::param_name("weight_hh", l, d), {G * H, H}, ptr(ly.w_iter) + d * G * H * H, H * H);
      const auto b_ih = bench::init_values(layers::param_name("bias_ih", l, d), {G * H});
      const auto b_hh = bench::init_values(layers::param_name("bias_hh", l, d), {G * H});
      float* b = ptr(ly.bias) + d * 4 * H;
      for (std::int64_t g = 0; g < G; ++g)
        for (std::int64_t o = 0; o < H; ++o) {
          const auto pt = static_cast<std::size_t>((s_.lstm ? kLstmPerm[g] : kGruPerm[g]) * H + o);
          b[g * H + o] = s_.lstm || g < 2 ? b_ih[pt] + b_hh[pt] : b_ih[pt];
          if (!s_.lstm && g == 2) b[3 * H + o] = b_hh[pt];
        }
    }
  }

  /// Copies PyTorch's (G*H, in) parameter into ldgoi blocks of `block` floats in oneDNN's gate order.
  void load_gates(const std::string& name, std::vector<std::int64_t> shape, float* dst, std::int64_t block) {
    const auto values = bench::init_values(name, shape);
    for (std::int64_t g = 0; g < s_.gates(); ++g)
      std::memcpy(dst + g * block, values.data() + (s_.lstm ? kLstmPerm[g] : kGruPerm[g]) * block,
                  static_cast<std::size_t>(block) * sizeof(float));
  }

  /// The inverse of load_gates, for a gradient: writes NAME.grad in PyTorch's gate order.
  void write_gates(const std::string& dir, const std::string& name, const float* src, std::int64_t block) {
    std::vector<float> out(static_cast<std::size_t>(s_.gates() * block));
    for (std::int64_t g = 0; g < s_.gates(); ++g)
      std::memcpy(out.data() + (s_.lstm ? kLstmPerm[g] : kGruPerm[g]) * block, src + g * block,
                  static_cast<std::size_t>(block) * sizeof(float));
    layers::write_f32(dir, name + ".grad", out.data(), out.size());
  }

  void write(const std::string& dir, const std::string& name, const memory& m) {
    layers::write_f32(dir, name, ptr(m), m.get_desc().get_size() / sizeof(float));
  }

  layers::LayerSpec s_;
  engine eng_;
  stream strm_;
  memory input_;
  std::vector<Layer> layers_;
  std::string log_;
};

}  // namespace

int main(int argc, char** argv) {
  const auto args = layers::parse_args(argc, argv, {"1T", "2T"});
  omp_set_num_threads(args.threads == "1T" ? 1 : 2);
  const auto s = layers::layer_spec(args.layer);
  Stack stack(s, !args.no_initial_state);
  std::fprintf(stderr, "onednn_layers %s: %s\n", s.name.c_str(), stack.log().c_str());
  if (!args.dump.empty()) {
    stack.step();
    stack.step();  // the second step's results: a gradient that accumulates across steps shows
    stack.dump(args.dump);
    return 0;
  }
  layers::report("onednn", args, [&]() {
    stack.step();
    return 0.0;
  });
}
