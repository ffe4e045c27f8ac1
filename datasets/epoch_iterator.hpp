#pragma once
// The resumable-position part of every batch iterator: epoch, batch index and the random state
// the epoch was planned from, so that a checkpoint restores the very same batch sequence.
#include "autograd/random.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace tg::data {

/// Where an iterator is: `batch` batches of epoch `epoch` (0-based) are done, and the epoch's
/// random choices come from a generator in state `generator`.
struct IteratorState {
  std::size_t epoch = 0;
  std::size_t batch = 0;
  std::string generator;

  /// One line of text, for a checkpoint: "epoch batch generator-state".
  std::string str() const;
  /// Inverse of str(); ValueError if malformed.
  static IteratorState parse(const std::string& text);
  bool operator==(const IteratorState&) const = default;
};

/// Base of the batch iterators: derived classes say how an epoch is planned (offsets, shuffles)
/// and how many batches it has; this class keeps the position and the generator.
///
///     auto saved = it.state();        // in a checkpoint: saved.str()
///     it.restore(saved);              // the next batch is the one that followed `saved`
class EpochIterator {
 public:
  virtual ~EpochIterator() = default;

  IteratorState state() const;
  void restore(const IteratorState& state);
  /// The current epoch (0-based) and how many of its batches were produced.
  std::size_t epoch() const { return epoch_; }
  std::size_t batch_index() const { return batch_; }
  /// Batches in the current epoch (plans it if it has not started yet; the state does not change).
  std::size_t num_batches() {
    ensure_planned();
    return planned_batches();
  }

 protected:
  explicit EpochIterator(std::uint64_t seed) : generator_(seed) {}
  /// Draws the epoch's random choices; called once at the start of every epoch.
  virtual void plan_epoch(Generator& generator) = 0;
  /// Batches in the planned epoch.
  virtual std::size_t planned_batches() const = 0;
  /// The index of the next batch of this epoch, or nullopt when it is over (the call after that
  /// plans and starts the next epoch).
  std::optional<std::size_t> advance();

 private:
  void ensure_planned();

  Generator generator_;
  std::string epoch_start_;
  std::size_t epoch_ = 0;
  std::size_t batch_ = 0;
  bool planned_ = false;
};

}  // namespace tg::data
