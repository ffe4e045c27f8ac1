#include "common/dates.hpp"

#include <autograd/error.hpp>

#include <array>

namespace tg::examples {
namespace {

constexpr std::array<const char*, 12> kMonths = {"january", "february", "march",     "april",   "may",      "june",
                                                 "july",    "august",   "september", "october", "november", "december"};

bool leap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int days_in(int year, int month) {
  constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && leap(year) ? 29 : days[month - 1];
}

}  // namespace

std::string ordinal_word(int n) {
  static const char* first[] = {"",        "first",     "second",     "third",      "fourth",    "fifth",
                                "sixth",   "seventh",   "eighth",     "ninth",      "tenth",     "eleventh",
                                "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth",
                                "eighteenth", "nineteenth"};
  if (n < 1 || n > 31) fail<ValueError>("ordinal_word: {} is not a day of a month (1 to 31)", n);
  if (n < 20) return first[n];
  const std::string tens = n < 30 ? "twenty" : "thirty";
  if (n % 10 == 0) return n == 20 ? "twentieth" : "thirtieth";
  return tens + "-" + first[n % 10];
}

std::string write_date(const Date& d, std::size_t format) {
  if (d.month < 1 || d.month > 12 || d.day < 1 || d.day > days_in(d.year, d.month) || d.year < 1 || d.year > 9999)
    fail<ValueError>("write_date: {} is not a date", iso_date(d));
  const std::string month = kMonths[d.month - 1], day = ordinal_word(d.day);
  switch (format) {
    case 0: return fmt::format("{} of {} {}", day, month, d.year);
    case 1: return fmt::format("the {} of {}, {}", day, month, d.year);
    case 2: return fmt::format("{} {}, {}", month, day, d.year);
    case 3: return fmt::format("{} {} {}", d.day, month, d.year);
    case 4: return fmt::format("{} {}, {}", month.substr(0, 3), d.day, d.year);
    default: fail<ValueError>("write_date: format {} is not one of 0..{}", format, kDateFormats - 1);
  }
}

std::string iso_date(const Date& d) { return fmt::format("{:04}-{:02}-{:02}", d.year, d.month, d.day); }

DatePair random_date_pair(Generator& g) {
  Date d{1950 + static_cast<int>(g.below(100)), 1 + static_cast<int>(g.below(12)), 1};
  d.day = 1 + static_cast<int>(g.below(static_cast<std::uint64_t>(days_in(d.year, d.month))));
  return {write_date(d, g.below(kDateFormats)), iso_date(d)};
}

}  // namespace tg::examples
