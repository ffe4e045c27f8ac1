#include "datasets/epoch_iterator.hpp"

#include "autograd/error.hpp"

#include <sstream>

namespace tg::data {

std::string IteratorState::str() const { return fmt::format("{} {} {}", epoch, batch, generator); }

IteratorState IteratorState::parse(const std::string& text) {
  std::istringstream is(text);
  IteratorState state;
  if (!(is >> state.epoch >> state.batch)) fail<ValueError>("IteratorState::parse: malformed state '{:.40}'", text);
  std::getline(is >> std::ws, state.generator);
  if (state.generator.empty()) fail<ValueError>("IteratorState::parse: no generator state in '{:.40}'", text);
  return state;
}

IteratorState EpochIterator::state() const {
  return {epoch_, batch_, planned_ ? epoch_start_ : generator_.state()};
}

void EpochIterator::restore(const IteratorState& state) {
  generator_.set_state(state.generator);
  epoch_ = state.epoch;
  batch_ = state.batch;
  planned_ = false;
  ensure_planned();
  if (batch_ > planned_batches())
    fail<ValueError>("EpochIterator::restore: batch {} is past the end of an epoch of {} batches", batch_,
                     planned_batches());
}

void EpochIterator::ensure_planned() {
  if (planned_) return;
  epoch_start_ = generator_.state();
  plan_epoch(generator_);
  planned_ = true;
}

std::optional<std::size_t> EpochIterator::advance() {
  ensure_planned();
  if (batch_ < planned_batches()) return batch_++;
  ++epoch_;
  batch_ = 0;
  planned_ = false;
  return std::nullopt;
}

}  // namespace tg::data
