// Reading whole UTF-8 files with errors that name file, line and byte offset.
#include "support/support.hpp"

namespace tg::data {
namespace {

TEST(TextFile, ReadsValidFile) {
  const std::string text = "caf\xC3\xA9\nok\n";
  EXPECT_EQ(read_utf8_file(test::write_temp_file("ok.txt", text), "Test"), text);
}

TEST(TextFile, LineOfOffset) {
  EXPECT_EQ(line_of_offset("a\nb\nc", 0), 1u);
  EXPECT_EQ(line_of_offset("a\nb\nc", 1), 1u);  // the newline belongs to its line
  EXPECT_EQ(line_of_offset("a\nb\nc", 2), 2u);
  EXPECT_EQ(line_of_offset("a\nb\nc", 4), 3u);
}

TEST(TextFile, ErrorsNameWhatFileLineAndOffset) {
  const std::string bad = test::write_temp_file("bad.txt", "one\ntwo\nth\x80ree\n");
  try {
    read_utf8_file(bad, "Reader");
    FAIL() << "no throw";
  } catch (const IoError& e) {
    EXPECT_EQ(std::string(e.what()),
              "Reader: " + bad + ":3: invalid UTF-8 at byte offset 10: unexpected continuation byte 0x80");
  }
  const std::string empty = test::write_temp_file("empty.txt", "");
  try {
    read_utf8_file(empty, "Reader");
    FAIL() << "no throw";
  } catch (const IoError& e) {
    EXPECT_EQ(std::string(e.what()), "Reader: " + empty + ": empty file");
  }
  EXPECT_THROW(read_utf8_file("/nonexistent/x.txt", "Reader"), IoError);
}

}  // namespace
}  // namespace tg::data
