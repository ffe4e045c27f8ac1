// The shared training options.
#include "support/support.hpp"

#include "common/cli.hpp"

namespace tg::examples {
namespace {

void parse(CLI::App& app, std::vector<std::string> args) {
  std::reverse(args.begin(), args.end());  // CLI11 takes the arguments back to front
  app.parse(args);
}

TEST(Cli, DefaultsAndOverrides) {
  CLI::App app;
  TrainingOptions o;
  add_training_options(app, o);
  parse(app, {"--optimizer", "sgd", "--lr", "1", "--steps", "500", "--batch-size", "8", "--resume", "--seed", "7"});
  EXPECT_EQ(o.optimizer, "sgd");
  EXPECT_EQ(o.lr, 1.0);
  EXPECT_EQ(o.steps, 500u);
  EXPECT_EQ(o.batch_size, 8u);
  EXPECT_TRUE(o.resume);
  EXPECT_EQ(o.seed, 7u);
  EXPECT_EQ(o.num_steps, TrainingOptions().num_steps);
}

TEST(Cli, RejectsBadValues) {
  const auto rejects = [](std::vector<std::string> args) {
    CLI::App app;
    TrainingOptions o;
    add_training_options(app, o);
    EXPECT_THROW(parse(app, args), CLI::ParseError) << args[0];
  };
  rejects({"--optimizer", "rmsprop"});
  rejects({"--lr", "-1"});
  rejects({"--batch-size", "0"});
  rejects({"--steps", "10", "--epochs", "2"});
  rejects({"--data", "/nonexistent/file.txt"});
  rejects({"--valid-fraction", "0.95"});
}

// CLI11's own ranges print "0 not in range 0.000000 to 179769313486231570814527..." (a 309-digit bound).
TEST(Cli, BadValuesSayWhatIsWrongInAFewWords) {
  const auto message = [](std::vector<std::string> args) {
    CLI::App app;
    TrainingOptions o;
    add_training_options(app, o);
    try {
      parse(app, args);
    } catch (const CLI::ParseError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message({"--batch-size", "0"}), "--batch-size: 0 is less than 1");
  EXPECT_EQ(message({"--lr", "0"}), "--lr: 0 is not above 0");
  EXPECT_EQ(message({"--lr", "1e-3x"}), "--lr: '1e-3x' is not a number");
  EXPECT_EQ(message({"--valid-fraction", "0.95"}), "--valid-fraction: 0.95 is outside [0, 0.9]");
}

TEST(Cli, LearningRateDefaultsToTheOptimizers) {
  CLI::App app;
  TrainingOptions o;
  add_training_options(app, o);
  parse(app, {"--optimizer", "adam"});
  EXPECT_EQ(o.lr, 0.0);  // unset: the program takes default_lr
  EXPECT_EQ(default_lr("adam"), 2e-3);
  EXPECT_EQ(default_lr("sgd"), 1.0);
}

TEST(Cli, HelpListsOptionsWithDefaults) {
  CLI::App app{"test"};
  TrainingOptions o;
  add_training_options(app, o);
  const std::string help = app.help();
  for (const char* flag : {"--data", "--optimizer", "--clip", "--num-steps", "--checkpoint-every", "--resume"})
    EXPECT_NE(help.find(flag), std::string::npos) << flag;
  EXPECT_NE(help.find("adam"), std::string::npos);
}

}  // namespace
}  // namespace tg::examples
