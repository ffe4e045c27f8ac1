#pragma once
// Which axis of a (batch, time) token array comes first.

namespace tg::data {

/// BatchMajor: (batch, num_steps), d2l's and PyTorch's `batch_first=True`.
/// TimeMajor: (num_steps, batch), what tapegrad's (and PyTorch's default) RNN layers take.
enum class Layout { BatchMajor, TimeMajor };

}  // namespace tg::data
