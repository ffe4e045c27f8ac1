// The demo's generated translation task: every format, the target, the spread of the draws.
#include "support/support.hpp"

#include "common/dates.hpp"

#include <set>

namespace tg::examples {
namespace {

TEST(Dates, EveryFormatOfOneDate) {
  const Date d{2026, 11, 26};
  EXPECT_EQ(write_date(d, 0), "twenty-sixth of november 2026");
  EXPECT_EQ(write_date(d, 1), "the twenty-sixth of november, 2026");
  EXPECT_EQ(write_date(d, 2), "november twenty-sixth, 2026");
  EXPECT_EQ(write_date(d, 3), "26 november 2026");
  EXPECT_EQ(write_date(d, 4), "nov 26, 2026");
  EXPECT_EQ(iso_date(d), "2026-11-26");
  EXPECT_EQ(iso_date({1999, 2, 3}), "1999-02-03");
}

TEST(Dates, OrdinalWords) {
  EXPECT_EQ(ordinal_word(1), "first");
  EXPECT_EQ(ordinal_word(12), "twelfth");
  EXPECT_EQ(ordinal_word(20), "twentieth");
  EXPECT_EQ(ordinal_word(22), "twenty-second");
  EXPECT_EQ(ordinal_word(30), "thirtieth");
  EXPECT_EQ(ordinal_word(31), "thirty-first");
  EXPECT_TRUE(test::throws<ValueError>([] { ordinal_word(32); }, {"ordinal_word: 32"}));
}

TEST(Dates, InvalidDatesAndFormatsAreRefused) {
  EXPECT_TRUE(test::throws<ValueError>([] { write_date({2026, 2, 29}, 0); }, {"write_date: 2026-02-29 is not a date"}));
  EXPECT_EQ(write_date({2024, 2, 29}, 3), "29 february 2024");  // a leap year
  EXPECT_TRUE(test::throws<ValueError>([] { write_date({2026, 13, 1}, 0); }, {"is not a date"}));
  EXPECT_TRUE(test::throws<ValueError>([] { write_date({2026, 1, 1}, kDateFormats); }, {"format 5"}));
}

TEST(Dates, DrawsAreSeededAndSpreadOverFormatsAndYears) {
  Generator a(7), b(7);
  std::set<std::string> targets;
  std::set<std::size_t> lengths;
  for (int i = 0; i < 2000; ++i) {
    const DatePair p = random_date_pair(a), q = random_date_pair(b);
    ASSERT_EQ(p.source, q.source);
    ASSERT_EQ(p.target.size(), 10u);
    // The target's year stands at the end of the source, whatever the format.
    EXPECT_EQ(p.source.substr(p.source.size() - 4), p.target.substr(0, 4)) << p.source;
    targets.insert(p.target);
    lengths.insert(p.source.size());
  }
  EXPECT_GT(targets.size(), 1900u);  // about 36,500 possible dates
  EXPECT_GT(lengths.size(), 15u);
}

}  // namespace
}  // namespace tg::examples
