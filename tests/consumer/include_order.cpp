// A file that includes xtensor before tapegrad: xtensor's default allocator is then not tapegrad's,
// and the build must stop at tapegrad's static_assert, which says what to do (autograd/xt.hpp).
// run.cmake builds it and expects that failure and message.
#include <xtensor/xarray.hpp>

#include <tapegrad.hpp>

int main() { return tg::zeros({2}).numel() == 2 ? 0 : 1; }
