#include "distributed/environment.hpp"

#include "distributed/communicator.hpp"

#include <cstdlib>
#include <exception>
#include <string>
#include <thread>

namespace tg::distributed {
namespace {

MPI_Comm job = MPI_COMM_NULL;
int job_rank = 0, job_size = 1;

std::chrono::duration<double> initial_timeout() {
  const char* text = std::getenv("TAPEGRAD_DISTRIBUTED_TIMEOUT");
  if (!text || !*text) return std::chrono::seconds(300);
  char* end = nullptr;
  const double seconds = std::strtod(text, &end);
  if (*end || !(seconds > 0))
    fail<ValueError>("TAPEGRAD_DISTRIBUTED_TIMEOUT='{}' is not a positive number of seconds", text);
  return std::chrono::duration<double>(seconds);
}

std::chrono::duration<double> wait_limit = initial_timeout();

}  // namespace

Environment::Environment(int& argc, char**& argv) {
  int started = 0;
  MPI_Initialized(&started);
  if (started || job != MPI_COMM_NULL)
    fail<DistributedError>("tg::distributed::Environment: MPI is already initialized; create one Environment per "
                           "process, in main");
  // FUNNELED: only the thread that created the Environment calls MPI (backward's hook runs on the
  // thread that calls backward; TBB's workers never touch MPI).
  int provided = 0;
  if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
    fail<DistributedError>("tg::distributed::Environment: MPI_Init_thread failed");
  if (provided < MPI_THREAD_FUNNELED) {
    MPI_Finalize();
    fail<DistributedError>("tg::distributed::Environment: this MPI supports only MPI_THREAD_SINGLE; tapegrad needs "
                           "MPI_THREAD_FUNNELED (TBB's threads run beside the thread that calls MPI)");
  }
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  detail::check(MPI_Comm_dup(MPI_COMM_WORLD, &job), "duplicating MPI_COMM_WORLD");
  MPI_Comm_set_errhandler(job, MPI_ERRORS_RETURN);
  MPI_Comm_rank(job, &job_rank);
  MPI_Comm_size(job, &job_size);
}

Environment::~Environment() {
  if (std::uncaught_exceptions() > 0) abort(1);
  MPI_Comm_free(&job);
  job = MPI_COMM_NULL;
  job_rank = 0, job_size = 1;
  MPI_Finalize();
}

void Environment::abort(int code) {
  MPI_Abort(job != MPI_COMM_NULL ? job : MPI_COMM_WORLD, code);
  std::_Exit(code);  // MPI_Abort does not return; this keeps [[noreturn]] honest if it ever did
}

bool launched_by_mpirun() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"})
    if (std::getenv(name)) return true;
  return false;
}

bool initialized() { return job != MPI_COMM_NULL; }
int rank() { return job_rank; }
int world_size() { return job_size; }

std::chrono::duration<double> timeout() { return wait_limit; }
void set_timeout(std::chrono::duration<double> limit) {
  if (!(limit.count() > 0)) fail<ValueError>("tg::distributed::set_timeout: {} s is not positive", limit.count());
  wait_limit = limit;
}

namespace detail {

MPI_Comm communicator() {
  if (job == MPI_COMM_NULL)
    fail<DistributedError>("tg::distributed: MPI is not initialized; create a tg::distributed::Environment in main "
                           "first");
  return job;
}

void check(int code, std::string_view what) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  fail<DistributedError>("rank {} of {}: {} failed: {}", job_rank, job_size, what, std::string(text, length));
}

bool test(std::span<MPI_Request> requests, std::string_view what) {
  int done = 0;
  check(MPI_Testall(static_cast<int>(requests.size()), requests.data(), &done, MPI_STATUSES_IGNORE), what);
  return done != 0;
}

void wait(std::span<MPI_Request> requests, std::string_view what) {
  const auto start = std::chrono::steady_clock::now();
  for (int polls = 0; !test(requests, what); ++polls) {
    // Spin for the short waits of a healthy job; then poll gently, since waiting here means a slow
    // or failed peer and the core may be needed by the others on the host.
    if (polls < 1000) continue;
    if (std::chrono::steady_clock::now() - start > wait_limit)
      fail<DistributedError>("rank {} of {}: {} did not complete within {} s: another rank has died or hangs (see "
                             "the messages of the other ranks and of mpirun; TAPEGRAD_DISTRIBUTED_TIMEOUT sets the "
                             "limit)",
                             job_rank, job_size, what, wait_limit.count());
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
}

}  // namespace detail
}  // namespace tg::distributed
