// main() of the test programs that run under mpirun (tests/distributed/CMakeLists.txt): MPI lives
// for the whole run, and every rank runs every test; mpirun fails if any rank fails.
#include <autograd/threads.hpp>
#include <distributed/environment.hpp>

#include <gtest/gtest.h>

int main(int argc, char** argv) {
  tg::distributed::Environment mpi(argc, argv);
  ::testing::InitGoogleTest(&argc, argv);
  tg::set_num_threads(1);  // the ranks share the machine's cores
  // A collective that a failed peer never joins: fail within seconds, not hang until ctest's timeout.
  tg::distributed::set_timeout(std::chrono::seconds(20));
  if (tg::distributed::rank() != 0) {
    // One report: the other ranks print only their failures.
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new ::testing::EmptyTestEventListener);
  }
  return RUN_ALL_TESTS();
}
