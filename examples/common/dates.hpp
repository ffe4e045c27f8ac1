#pragma once
// A translation task generated in code, for the demo and the seq2seq tests: dates written out in
// English words, in one of several orders, to ISO 8601. "the twenty-sixth of november, 2026" ->
// "2026-11-26": the year moves from the end to the front, the month name becomes a number and
// the day's ordinal word becomes two digits, so the alignment a model must learn is visibly not
// the diagonal.
#include <autograd/random.hpp>

#include <string>

namespace tg::examples {

struct Date {
  int year, month, day;
};

struct DatePair {
  std::string source;  // "the twenty-sixth of november, 2026"
  std::string target;  // "2026-11-26"
};

/// How many ways write_date knows to write a date.
constexpr std::size_t kDateFormats = 5;

/// "first" ... "thirty-first" (1 <= n <= 31).
std::string ordinal_word(int n);

/// The date in words, in format 0..kDateFormats-1:
///   0 "twenty-sixth of november 2026"     1 "the twenty-sixth of november, 2026"
///   2 "november twenty-sixth, 2026"       3 "26 november 2026"
///   4 "nov 26, 2026"
/// Throws ValueError for an invalid date or format.
std::string write_date(const Date& date, std::size_t format);

/// "2026-11-26".
std::string iso_date(const Date& date);

/// A date drawn uniformly from 1950-01-01 .. 2049-12-31, in a format drawn uniformly.
DatePair random_date_pair(Generator& g);

}  // namespace tg::examples
