#include "common/metrics.hpp"

#include <autograd/error.hpp>

#include <cmath>
#include <filesystem>
#include <sstream>

namespace tg::examples {
namespace {

std::string number(double x) { return std::isnan(x) ? "" : fmt::format("{:.6g}", x); }

double parse_number(const std::string& field, const std::string& path, std::size_t line) {
  if (field.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::size_t used = 0;
  double x = 0;
  try {
    x = std::stod(field, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != field.size()) fail<IoError>("MetricsCsv::read: {}:{}: '{}' is not a number", path, line, field);
  return x;
}

}  // namespace

std::string metrics_csv_header() {
  return "epoch,step,train_loss,train_perplexity,valid_loss,valid_perplexity,learning_rate,grad_norm,seconds";
}

std::string metrics_csv_row(const EpochMetrics& m) {
  return fmt::format("{},{},{},{},{},{},{},{},{}", m.epoch, m.step, number(m.train_loss), number(std::exp(m.train_loss)),
                     number(m.valid_loss), number(std::exp(m.valid_loss)), number(m.learning_rate),
                     number(m.grad_norm), fmt::format("{:.3f}", m.seconds));
}

MetricsCsv::MetricsCsv(const std::string& path, bool append) : path_(path) {
  const bool has_rows = append && std::filesystem::exists(path) && std::filesystem::file_size(path) > 0;
  file_.open(path, append ? std::ios::app : std::ios::trunc);
  if (!file_) fail<IoError>("MetricsCsv: cannot open '{}' for writing", path);
  if (!has_rows) file_ << metrics_csv_header() << '\n' << std::flush;
}

void MetricsCsv::write(const EpochMetrics& m) {
  file_ << metrics_csv_row(m) << '\n' << std::flush;
  if (!file_) fail<IoError>("MetricsCsv: writing '{}' failed", path_);
}

std::vector<EpochMetrics> MetricsCsv::read(const std::string& path) {
  std::ifstream file(path);
  if (!file) fail<IoError>("MetricsCsv::read: cannot open '{}'", path);
  std::string line;
  if (!std::getline(file, line) || line != metrics_csv_header())
    fail<IoError>("MetricsCsv::read: {}:1: expected the header '{}'", path, metrics_csv_header());
  std::vector<EpochMetrics> rows;
  for (std::size_t number = 2; std::getline(file, line); ++number) {
    std::vector<std::string> fields;
    std::stringstream ss(line);
    for (std::string field; std::getline(ss, field, ',');) fields.push_back(field);
    if (!line.empty() && line.back() == ',') fields.emplace_back();
    if (fields.size() != 9) fail<IoError>("MetricsCsv::read: {}:{}: {} fields, expected 9", path, number, fields.size());
    const auto at = [&](int i) { return parse_number(fields[static_cast<std::size_t>(i)], path, number); };
    rows.push_back({static_cast<std::size_t>(at(0)), static_cast<std::size_t>(at(1)), at(2), at(4), at(6), at(7), at(8)});
  }
  return rows;
}

}  // namespace tg::examples
