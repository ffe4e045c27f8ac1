// Single-precision GEMM on AVX-512 (compiled with -mavx512f; called only where the CPU has it,
// autograd/ops/blas.cpp). OpenBLAS 0.3.21 runs its AVX2 kernels on the AVX-512 CPUs it does not know
// (Zen 5 among them), at about half of what the core can do; this is Goto's GEMM (as BLIS) around
// one 8 x 48 register tile, 24 accumulators of 16 floats: op(B) packed in 256 x 480 blocks of
// 48-column panels, op(A) broadcast from where it is stored (packing it cost more than it saved:
// 9% of a W1 step), except a transposed op(A), whose tile rows are gathered into 8 x 256 floats
// first: read in place, each depth of the tile is a line of its own, lda apart. Four tiles are
// gathered at once, each depth's 32 rows two whole lines, the next four's lines prefetched (the
// weight gradients dA^T H of W1's layers: n = 64 took 0.75-0.8 of the time of one tile at once,
// n = 256 0.95-1.0; more tiles at once crowd L1).
//
// With operands in cache the tile runs at the core's FMA peak; what a product loses is waiting for
// memory. So the last block of columns takes a remainder narrower than a panel (n = 512 would
// otherwise pass over all of op(A) again for 32 columns), and a tile fetches its rows of C before
// it starts rather than when it stores them.
//
// Each element of C is summed the same way whatever the shape around it: k in blocks of kGemmKc in
// order, each block in one register from 0, then C = alpha * block + C (beta * C or a row for the first). So
// a product split into row or column blocks gives the same bits as the whole.
//
// No function here may be inline or a template shared with baseline code (isa_symbols.cmake):
// everything is in an anonymous namespace but the entry points of gemm_avx512.hpp.
#include "autograd/ops/gemm_avx512.hpp"

#include <immintrin.h>

namespace tg::detail {

namespace {

constexpr std::size_t kMr = 8, kNr = 48;  // the register tile: rows of A by 3 vectors of B
// A transposed op(A) is gathered this many tiles at a time: each depth's rows are then read as
// 32 floats side by side, whole cache lines, rather than a line's half at a time.
constexpr std::size_t kGatherTiles = 4;

/// How many columns the block starting `left` columns before the end takes: kGemmNc, or all that
/// are left when they fit in kGemmNcLast.
std::size_t block_columns(std::size_t left) { return left <= kGemmNcLast ? left : kGemmNc; }

/// Where block (k0, j0) of a whole packed op(B) starts: the blocks of kGemmKc x kGemmNc one after
/// another, columns outer, each as wide as its columns rounded up to whole panels.
std::size_t packed_block_offset(const GemmOperands& g, std::size_t k0, std::size_t j0, std::size_t nc) {
  return j0 * g.k + k0 * ((nc + kNr - 1) / kNr * kNr);
}

/// dst[i * ldd + j] = src[j * ld + i] for a 16 x 16 block.
void transpose16(const float* src, std::size_t ld, float* dst, std::size_t ldd) {
  // (The zero-masking forms with every lane on are the plain instructions; the plain intrinsics trip
  // -Wuninitialized in GCC 12's headers, GCC bug 105593.)
  const __mmask16 all = 0xFFFF;
  __m512 r[16], t[16];
  for (std::size_t i = 0; i < 16; ++i) r[i] = _mm512_loadu_ps(src + i * ld);
  for (std::size_t i = 0; i < 8; ++i) {  // interleave row pairs, then pairs of pairs, then lanes
    t[2 * i] = _mm512_maskz_unpacklo_ps(all, r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_maskz_unpackhi_ps(all, r[2 * i], r[2 * i + 1]);
  }
  for (std::size_t i = 0; i < 4; ++i) {
    r[4 * i] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], _MM_SHUFFLE(1, 0, 1, 0));
    r[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    r[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    r[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (std::size_t i = 0; i < 2; ++i)
    for (std::size_t j = 0; j < 4; ++j) {
      t[8 * i + j] = _mm512_maskz_shuffle_f32x4(all, r[8 * i + j], r[8 * i + j + 4], 0x88);
      t[8 * i + j + 4] = _mm512_maskz_shuffle_f32x4(all, r[8 * i + j], r[8 * i + j + 4], 0xdd);
    }
  for (std::size_t i = 0; i < 8; ++i) {
    r[i] = _mm512_maskz_shuffle_f32x4(all, t[i], t[i + 8], 0x88);
    r[i + 8] = _mm512_maskz_shuffle_f32x4(all, t[i], t[i + 8], 0xdd);
  }
  for (std::size_t i = 0; i < 16; ++i) _mm512_storeu_ps(dst + i * ldd, r[i]);
}

/// Depth [k0, k0 + kc) and columns [j0, j0 + nc) of op(B) as panels of kNr columns, each k-major
/// (panel[k * kNr + c]), columns past n zero.
void pack_b(const GemmOperands& g, std::size_t k0, std::size_t kc, std::size_t j0, std::size_t nc, float* out) {
  for (std::size_t q = 0; q < nc; q += kNr, out += kNr * kc) {
    const std::size_t cols = nc - q < kNr ? nc - q : kNr;
    if (!g.trans_b) {
      for (std::size_t k = 0; k < kc; ++k) {
        const float* src = g.b + (k0 + k) * g.ldb + j0 + q;
        float* row = out + k * kNr;
        for (std::size_t c = 0; c < cols; ++c) row[c] = src[c];
        for (std::size_t c = cols; c < kNr; ++c) row[c] = 0.0f;
      }
    } else {  // column c of the panel is a run of row j of B as stored: 16 x 16 blocks transposed
      std::size_t c0 = 0;
      for (; c0 + 16 <= cols; c0 += 16) {
        const float* src = g.b + (j0 + q + c0) * g.ldb + k0;
        std::size_t k = 0;
        for (; k + 16 <= kc; k += 16) transpose16(src + k, g.ldb, out + k * kNr + c0, kNr);
        for (; k < kc; ++k)
          for (std::size_t c = 0; c < 16; ++c) out[k * kNr + c0 + c] = src[c * g.ldb + k];
      }
      for (std::size_t c = c0; c < kNr; ++c) {  // the columns left, one at a time; zero past cols
        if (c < cols) {
          const float* src = g.b + (j0 + q + c) * g.ldb + k0;
          for (std::size_t k = 0; k < kc; ++k) out[k * kNr + c] = src[k];
        } else {
          for (std::size_t k = 0; k < kc; ++k) out[k * kNr + c] = 0.0f;
        }
      }
    }
  }
}

/// Rows [i0, i0 + rows) of a transposed op(A) at depths [k0, k0 + kc), up to kGatherTiles tiles of
/// kMr rows, gathered k-major tile by tile into out[(t * kc + k) * kMr + r], the last row standing
/// in for rows past m. A depth's rows of all the tiles are side by side in A, whole lines. With
/// `sums`, sums[r] += each row's values at these depths, in order (g.a_sums's part for these rows).
void gather_transposed_a(const GemmOperands& g, std::size_t k0, std::size_t kc, std::size_t i0, std::size_t rows,
                         float* out, float* sums) {
  const std::size_t whole = rows / kMr;  // tiles of kMr rows; a last one of fewer rows is summed one by one
  __m256 sum[kGatherTiles];
  for (std::size_t t = 0; t < whole && sums; ++t) sum[t] = _mm256_loadu_ps(sums + t * kMr);
  for (std::size_t k = 0; k < kc; ++k) {
    const float* depth = g.a + (k0 + k) * g.lda + i0;  // the rows at depth k0 + k, side by side
    if (i0 + rows < g.m) {  // the next chunk's two lines, fetched while this chunk's tiles run
      __builtin_prefetch(depth + rows, 0, 2);
      __builtin_prefetch(depth + rows + 16, 0, 2);
    }
    for (std::size_t t = 0; t < whole; ++t) {
      const __m256 v = _mm256_loadu_ps(depth + t * kMr);
      _mm256_store_ps(out + (t * kc + k) * kMr, v);
      if (sums) sum[t] = _mm256_add_ps(sum[t], v);
    }
    if (const std::size_t r0 = whole * kMr, left = rows - r0; left > 0) {
      float* to = out + (whole * kc + k) * kMr;
      for (std::size_t r = 0; r < kMr; ++r) to[r] = depth[r0 + (r < left ? r : left - 1)];
      for (std::size_t r = 0; r < left && sums; ++r) sums[r0 + r] += depth[r0 + r];
    }
  }
  for (std::size_t t = 0; t < whole && sums; ++t) _mm256_storeu_ps(sums + t * kMr, sum[t]);
}

/// C[0:rows, 0:cols] = alpha * (A rows . B panel) + beta * C (C not read when beta is 0), or + row
/// in every row when `row` is not null, where A's row r at depth k is a[r][k * k_stride], for a
/// panel whose cols fit in V vectors: a product's last panel (n = 64 or 256 leaves 16 columns) does
/// not pay for the zeros padding it to 48.
template <std::size_t V>
void tile(std::size_t kc, const float* const* a, std::size_t k_stride, const float* b, float* c, std::size_t ldc,
          float alpha, float beta, const float* row, std::size_t rows, std::size_t cols) {
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t v = 0; v < V; ++v) __builtin_prefetch(c + r * ldc + 16 * v, 1);  // prefetchw: it is written
  __m512 acc[kMr][V];
#pragma GCC unroll 8
  for (std::size_t r = 0; r < kMr; ++r)
#pragma GCC unroll 3
    for (std::size_t v = 0; v < V; ++v) acc[r][v] = _mm512_setzero_ps();
  for (std::size_t k = 0, at = 0; k < kc; ++k, at += k_stride, b += kNr) {
    __m512 bv[V];
#pragma GCC unroll 3
    for (std::size_t v = 0; v < V; ++v) bv[v] = _mm512_loadu_ps(b + 16 * v);
#pragma GCC unroll 8
    for (std::size_t r = 0; r < kMr; ++r) {
      const __m512 x = _mm512_set1_ps(a[r][at]);
#pragma GCC unroll 3
      for (std::size_t v = 0; v < V; ++v) acc[r][v] = _mm512_fmadd_ps(x, bv[v], acc[r][v]);
    }
  }
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta), one = _mm512_set1_ps(1.0f);
  for (std::size_t v = 0; v < V; ++v) {
    if (cols <= v * 16) break;
    const std::size_t n = cols - v * 16;
    const __mmask16 mask = n >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << n) - 1);
    const __m512 vr = row ? _mm512_maskz_loadu_ps(mask, row + v * 16) : _mm512_setzero_ps();
    for (std::size_t r = 0; r < rows; ++r) {
      float* p = c + r * ldc + v * 16;
      const __m512 product = _mm512_mul_ps(va, acc[r][v]);
      // (row + product as 1 * row + product: a plain add of a product would be contracted into an
      // FMA, rounding alpha * acc + row once where row copied into C, beta = 1, rounds twice.)
      const __m512 out = row            ? _mm512_fmadd_ps(one, vr, product)
                         : beta == 0.0f ? product
                                        : _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(mask, p), product);
      _mm512_mask_storeu_ps(p, mask, out);
    }
  }
}

}  // namespace

std::size_t sgemm_avx512_packed_b_floats(std::size_t k, std::size_t n) { return (n + kNr - 1) / kNr * kNr * k; }

void sgemm_avx512_pack_b(const GemmOperands& g, float* out) {
  for (std::size_t j0 = 0, nc = 0; j0 < g.n; j0 += nc) {
    nc = block_columns(g.n - j0);
    for (std::size_t k0 = 0; k0 < g.k; k0 += kGemmKc)
      pack_b(g, k0, g.k - k0 < kGemmKc ? g.k - k0 : kGemmKc, j0, nc, out + packed_block_offset(g, k0, j0, nc));
  }
}

void sgemm_avx512(const GemmOperands& g, const float* packed_b, float* pack_b_buffer) {
  if (g.k == 0) {  // C = row, or beta * C (not read when beta is 0)
    for (std::size_t i = 0; i < g.m; ++i)
      for (std::size_t j = 0; j < g.n; ++j)
        g.c[i * g.ldc + j] = g.row ? g.row[j] : g.beta == 0.0f ? 0.0f : g.beta * g.c[i * g.ldc + j];
    return;
  }
  // A tile's 8 rows of op(A) at depth k are a_rows[r][k * k_stride] (the last row stands in for
  // rows past m, whose results are not stored): where they are stored, or gathered for a transposed A.
  alignas(64) float gathered[kGatherTiles * kGemmKc * kMr];
  for (std::size_t j0 = 0, nc = 0; j0 < g.n; j0 += nc) {
    nc = block_columns(g.n - j0);
    for (std::size_t k0 = 0; k0 < g.k; k0 += kGemmKc) {
      const std::size_t kc = g.k - k0 < kGemmKc ? g.k - k0 : kGemmKc;
      const float beta = k0 == 0 ? g.beta : 1.0f;
      const float* row = k0 == 0 && g.row ? g.row + j0 : nullptr;
      const float* b_panels = pack_b_buffer;
      if (packed_b)
        b_panels = packed_b + packed_block_offset(g, k0, j0, nc);
      else
        pack_b(g, k0, kc, j0, nc, pack_b_buffer);
      for (std::size_t i0 = 0; i0 < g.m; i0 += kMr) {
        const std::size_t rows = g.m - i0 < kMr ? g.m - i0 : kMr;
        const std::size_t gathered_tile = i0 / kMr % kGatherTiles;  // where this tile sits in `gathered`
        if (g.trans_a && gathered_tile == 0) {
          const std::size_t left = g.m - i0, chunk = kGatherTiles * kMr;
          float* sums = g.a_sums && j0 == 0 ? g.a_sums + i0 : nullptr;  // summed on the first pass only
          gather_transposed_a(g, k0, kc, i0, left < chunk ? left : chunk, gathered, sums);
        }
        const std::size_t k_stride = g.trans_a ? kMr : 1;
        const float* a_rows[kMr];
        for (std::size_t r = 0; r < kMr; ++r)
          a_rows[r] = g.trans_a ? gathered + gathered_tile * kc * kMr + r
                                : g.a + (i0 + (r < rows ? r : rows - 1)) * g.lda + k0;
        for (std::size_t jr = 0; jr < nc; jr += kNr) {
          const std::size_t cols = nc - jr < kNr ? nc - jr : kNr;
          auto* panel = cols > 32 ? tile<3> : cols > 16 ? tile<2> : tile<1>;
          panel(kc, a_rows, k_stride, b_panels + jr * kc, g.c + i0 * g.ldc + j0 + jr, g.ldc, g.alpha, beta,
                row ? row + jr : nullptr, rows, cols);
        }
      }
    }
  }
}

}  // namespace tg::detail
