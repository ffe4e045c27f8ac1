// UTF-8 validation and decoding: the ground the tokenizers and corpora stand on.
#include "support/support.hpp"

namespace tg::data {
namespace {

TEST(Utf8, AcceptsValidText) {
  EXPECT_FALSE(find_utf8_error("plain ASCII\n"));
  EXPECT_FALSE(find_utf8_error("caf\xC3\xA9 \xE2\x80\xAF! \xF0\x9F\x98\x80"));  // é, U+202F, 😀
  EXPECT_FALSE(find_utf8_error(""));
}

TEST(Utf8, ReportsOffsetAndReason) {
  auto e = find_utf8_error("ab\x80z");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->offset, 2u);
  EXPECT_NE(e->reason.find("continuation byte 0x80"), std::string::npos) << e->reason;

  e = find_utf8_error("abc\xC3");  // truncated at the end
  ASSERT_TRUE(e);
  EXPECT_EQ(e->offset, 3u);
  EXPECT_NE(e->reason.find("truncated"), std::string::npos);

  EXPECT_EQ(find_utf8_error("x\xC0\xAF")->offset, 1u);           // overlong '/'
  EXPECT_EQ(find_utf8_error("\xE0\x80\xAF")->offset, 0u);        // overlong 3-byte
  EXPECT_EQ(find_utf8_error("ok\xED\xA0\x80")->offset, 2u);      // surrogate U+D800
  EXPECT_EQ(find_utf8_error("\xF4\x90\x80\x80")->offset, 0u);    // above U+10FFFF
  EXPECT_EQ(find_utf8_error("\xC3(")->offset, 0u);               // bad continuation
}

TEST(Utf8, DecodesAndEncodesCodePoints) {
  const std::string text = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";  // a é € 😀
  std::vector<char32_t> points;
  for (std::size_t pos = 0; pos < text.size();) {
    EXPECT_NO_THROW(utf8_char_length(text, pos));
    CodePoint cp = decode_utf8(text, pos);
    points.push_back(cp.value);
    pos += cp.length;
  }
  EXPECT_EQ(points, (std::vector<char32_t>{U'a', 0xE9, 0x20AC, 0x1F600}));
  std::string back;
  for (char32_t c : points) append_utf8(back, c);
  EXPECT_EQ(back, text);
  EXPECT_THROW(utf8_char_length("\xFF", 0, "test"), ValueError);
}

}  // namespace
}  // namespace tg::data
