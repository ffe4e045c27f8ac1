#include "distributed/collectives.hpp"

#include "distributed/communicator.hpp"

#include <autograd/graph.hpp>

#include <limits>
#include <numeric>
#include <sstream>

namespace tg::distributed {
namespace {

using detail::communicator;

template <class T>
MPI_Datatype mpi_type() {
  return std::is_same_v<T, float> ? MPI_FLOAT : MPI_DOUBLE;
}

int count_of(std::size_t n, std::string_view what) {
  if (n > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    fail<DistributedError>("{}: {} elements are more than one MPI message holds", what, n);
  return static_cast<int>(n);
}

// A root-to-all broadcast of `n` elements at `data`.
void broadcast_raw(void* data, std::size_t n, MPI_Datatype type, std::string_view what) {
  MPI_Request request;
  detail::check(MPI_Ibcast(data, count_of(n, what), type, 0, communicator(), &request), what);
  detail::wait(std::span(&request, 1), what);
}

void broadcast_array(const Tensor& t, std::string_view what) {
  visit_dtype(t.dtype(), [&]<class T>() { broadcast_raw(t.data<T>().data(), t.numel(), mpi_type<T>(), what); });
}

// "name dtype d0 d1 ...", one line per tensor: what rank 0 announces before the values.
std::string describe(std::span<const std::pair<std::string, Tensor>> tensors) {
  std::string out;
  for (const auto& [name, t] : tensors) {
    out += fmt::format("{} {}", name, dtype_name(t.dtype()));
    for (auto d : t.shape()) out += fmt::format(" {}", d);
    out += '\n';
  }
  return out;
}

}  // namespace

void broadcast(std::string& text) {
  std::size_t size = text.size();
  broadcast_raw(&size, 1, MPI_UINT64_T, "broadcast of a text's length");
  text.resize(size);
  broadcast_raw(text.data(), size, MPI_CHAR, "broadcast of a text");
}

void broadcast(StateDict& values) {
  const std::vector<std::pair<std::string, Tensor>> listed(values.begin(), values.end());
  std::string header = describe(listed);
  broadcast(header);
  if (rank() != 0) {
    values.clear();
    std::istringstream lines(header);
    for (std::string line; std::getline(lines, line);) {
      std::istringstream fields(line);
      std::string name, dtype;
      fields >> name >> dtype;
      Shape shape;
      for (std::size_t d; fields >> d;) shape.push_back(d);
      values[name] = zeros(shape, dtype == dtype_name(kFloat64) ? kFloat64 : kFloat32);
    }
  }
  for (auto& [name, t] : values) broadcast_array(t, fmt::format("broadcast of state '{}'", name));
}

void broadcast_values(std::span<const std::pair<std::string, Tensor>> tensors) {
  const std::string mine = describe(tensors);
  std::string root = mine;
  broadcast(root);
  // Every rank learns whether any differs, so that all of them stop here rather than some waiting
  // for broadcasts the others never start.
  double differing = root != mine ? 1 : 0;
  all_reduce_sum(std::span(&differing, 1));
  if (root != mine) {
    // Name the first line that differs: the parameter where the models part.
    std::istringstream a(mine), b(root);
    std::string la, lb;
    while (std::getline(a, la) && std::getline(b, lb) && la == lb) {}
    fail<DistributedError>("rank {}: its tensors differ from rank 0's: '{}' here, '{}' on rank 0; every rank must "
                           "build the same model", rank(), la, lb);
  }
  if (differing > 0)
    fail<DistributedError>("rank {}: {} rank(s) hold other tensors than rank 0 (their messages name the first "
                           "difference); every rank must build the same model", rank(), differing);
  NoGradGuard no_grad;
  for (const auto& [name, t] : tensors) broadcast_array(t, fmt::format("broadcast of '{}'", name));
}

void all_reduce_sum(std::span<double> values) {
  const std::string_view what = "all-reduce of metrics";
  MPI_Request request;
  detail::check(MPI_Iallreduce(MPI_IN_PLACE, values.data(), count_of(values.size(), what), MPI_DOUBLE, MPI_SUM,
                               communicator(), &request), what);
  detail::wait(std::span(&request, 1), what);
}

namespace {

// Rank 0 gets every rank's `n` elements at `data`, in rank order; returns the counts on rank 0.
template <class T>
std::vector<T> gather_raw(const T* data, std::size_t n, MPI_Datatype type, std::vector<int>& counts,
                          std::string_view what) {
  const int mine = count_of(n, what);
  counts.assign(static_cast<std::size_t>(world_size()), 0);
  MPI_Request request;
  detail::check(MPI_Igather(&mine, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, communicator(), &request), what);
  detail::wait(std::span(&request, 1), what);
  std::vector<int> offsets(counts.size(), 0);
  std::size_t total = 0;
  for (std::size_t r = 0; r < counts.size(); ++r) {
    offsets[r] = count_of(total, what);
    total += static_cast<std::size_t>(counts[r]);
  }
  std::vector<T> all(rank() == 0 ? total : 0);
  detail::check(MPI_Igatherv(data, mine, type, all.data(), counts.data(), offsets.data(), type, 0, communicator(),
                             &request), what);
  detail::wait(std::span(&request, 1), what);
  return all;
}

// `a` with axes 0 and `axis` exchanged (its own inverse), evaluated.
template <class T>
xt::xarray<T> swap_with_front(const xt::xarray<T>& a, std::size_t axis) {
  std::vector<std::size_t> permutation(a.dimension());
  std::iota(permutation.begin(), permutation.end(), std::size_t{0});
  std::swap(permutation[0], permutation[axis]);
  return xt::transpose(a, permutation);
}

}  // namespace

std::vector<std::string> gather(const std::string& text) {
  std::vector<int> counts;
  const std::vector<char> all = gather_raw(text.data(), text.size(), MPI_CHAR, counts, "gather of texts");
  std::vector<std::string> out;
  std::size_t at = 0;
  if (rank() == 0)
    for (int n : counts) {
      out.emplace_back(all.data() + at, static_cast<std::size_t>(n));
      at += static_cast<std::size_t>(n);
    }
  return out;
}

Tensor gather(const Tensor& local, std::size_t axis) {
  if (axis >= local.dim())
    fail<ShapeError>("tg::distributed::gather: axis {} of a tensor of shape {}", axis, shape_str(local.shape()));
  // Every rank's shape, for the error message if they do not fit together.
  const std::vector<std::string> shapes =
      gather(fmt::format("{} {}", shape_str(local.shape()), dtype_name(local.dtype())));
  return visit_dtype(local.dtype(), [&]<class T>() -> Tensor {
    // Rank-major pieces: move `axis` to the front so that each rank's part is one contiguous block.
    xt::xarray<T> front = swap_with_front(local.data<T>(), axis);
    std::vector<int> counts;
    std::vector<T> all = gather_raw(front.data(), front.size(), mpi_type<T>(), counts, "gather of a tensor");
    if (rank() != 0) return Tensor();
    Shape shape = front.shape();
    shape[0] = 0;
    const std::size_t row = front.size() / std::max<std::size_t>(front.shape()[0], 1);
    for (std::size_t r = 0; r < counts.size(); ++r) {
      if (row == 0 || static_cast<std::size_t>(counts[r]) % row != 0)
        fail<ShapeError>("tg::distributed::gather along axis {}: rank {} holds {}, rank 0 {}", axis, r, shapes[r],
                         shapes[0]);
      shape[0] += static_cast<std::size_t>(counts[r]) / row;
    }
    xt::xarray<T> joined = xt::adapt(all, shape);
    return from_array(swap_with_front(joined, axis));
  });
}

}  // namespace tg::distributed
