#include "common/run_options.hpp"

#include <tapegrad.hpp>

#include <algorithm>
#include <cstdint>
#include <fstream>

namespace tg::examples {

std::string text_hash(std::string_view text) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
  return fmt::format("{:016x}", h);
}

void write_run_options(const std::string& dir, const std::vector<RunOption>& options, const std::string& hash) {
  std::ofstream file(dir + "/options.txt");
  for (const auto& o : options) file << o.flag << ' ' << o.get() << '\n';
  file << "text-hash " << hash << '\n';
  file.close();
  if (!file) fail<IoError>("cannot write {}/options.txt", dir);
}

std::string take_run_options(const std::string& dir, const std::vector<RunOption>& options, const CLI::App& app) {
  std::ifstream file(dir + "/options.txt");
  if (!file) fail<IoError>("{}/options.txt cannot be read: the checkpoint does not say how the run was started", dir);
  std::string hash;
  for (std::string line; std::getline(file, line);) {
    const auto space = line.find(' ');
    const std::string flag = line.substr(0, space), value = space == std::string::npos ? "" : line.substr(space + 1);
    if (flag == "text-hash") {
      hash = value;
      continue;
    }
    const auto o = std::find_if(options.begin(), options.end(), [&](const RunOption& r) { return r.flag == flag; });
    if (o == options.end()) fail<IoError>("{}/options.txt: unknown option '{}'", dir, flag);
    if (o->compared && app.count(flag) && o->get() != value)
      fail<ValueError>("--resume: {} {} differs from {} {} that the run in {} was started with; leave {} out to "
                       "continue that run, or start a new one in another --out",
                       flag, o->get(), flag, value, dir, flag);
    if (!app.count(flag) && !o->set(value)) fail<IoError>("{}/options.txt: '{}' is not a value of {}", dir, value, flag);
  }
  if (hash.empty()) fail<IoError>("{}/options.txt: no text-hash line", dir);
  return hash;
}

}  // namespace tg::examples
