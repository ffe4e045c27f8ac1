#pragma once
// The options that define a training run, recorded in <out>/options.txt so that --resume (or a
// later translation from the run) takes them from there and refuses different ones by name.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <functional>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace tg::examples {

/// One recorded option. `compared` false: only taken, never refused (e.g. --data, where another copy
/// of the same file is fine and the data's hash is what is compared).
struct RunOption {
  std::string flag;
  std::function<std::string()> get;
  std::function<bool(const std::string&)> set;  // false if the text is not a value of the option
  bool compared = true;
};

/// A RunOption reading and writing `value` (which must outlive it).
template <class T>
RunOption run_option(std::string flag, T& value, bool compared = true) {
  return {std::move(flag), [&value] { return fmt::format("{}", value); },
          [&value](const std::string& text) {
            if constexpr (std::is_same_v<T, std::string>) {
              value = text;
              return true;
            } else if constexpr (std::is_same_v<T, bool>) {  // as fmt writes it
              value = text == "true";
              return text == "true" || text == "false";
            } else {
              std::istringstream in(text);
              return static_cast<bool>(in >> value) && in.eof();
            }
          },
          compared};
}

/// FNV-1a of `text`: the training data's fingerprint in options.txt.
std::string text_hash(std::string_view text);

/// Writes `dir`/options.txt: one "flag value" line per option, then "text-hash <hash>".
void write_run_options(const std::string& dir, const std::vector<RunOption>& options, const std::string& hash);

/// Sets every option not given on the command line (`app`) from `dir`/options.txt, and throws
/// ValueError for a compared option given with another value. Returns the recorded hash.
std::string take_run_options(const std::string& dir, const std::vector<RunOption>& options, const CLI::App& app);

}  // namespace tg::examples
