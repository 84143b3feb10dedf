/* The retrieval benchmark's measures (bench/ir_eval.h) on toy judgments
 * whose values are worked out by hand. */
#include <criterion/criterion.h>
#include <math.h>

#include "../../bench/ir_eval.h"

#define NEAR(a, b) cr_assert(fabs((a) - (b)) < 1e-9, "%.12f != %.12f", (double)(a), (double)(b))

/* documents 0..5; 1 has gain 3, 4 has gain 1, the rest are not relevant */
static const double GAIN[6] = {0, 3, 0, 0, 1, 0};

Test(ir_eval, ndcg_of_graded_ranking) {
  int ranked[] = {4, 2, 1};
  ir_measures_t m;
  cr_assert_eq(ir_measure(ranked, 3, GAIN, 5, 10, 1000, 100, &m), 0);
  /* dcg = 1/log2(2) + 3/log2(4) = 2.5; ideal = 3/log2(2) + 1/log2(3) */
  NEAR(m.ndcg10, 2.5 / (3.0 + 1.0 / log2(3.0)));
  /* precision at the relevant ranks 1 and 3: (1/1 + 2/3) / 2 */
  NEAR(m.ap, (1.0 + 2.0 / 3.0) / 2.0);
  NEAR(m.r100, 1.0);
}

Test(ir_eval, ideal_order_scores_one) {
  int ranked[] = {1, 4, 0, 2};
  ir_measures_t m;
  cr_assert_eq(ir_measure(ranked, 4, GAIN, 5, 10, 1000, 100, &m), 0);
  NEAR(m.ndcg10, 1.0);
  NEAR(m.ap, 1.0);
}

Test(ir_eval, repeated_document_gains_once_and_takes_its_rank) {
  /* passages: document 1 twice, then 4 at rank 3 */
  int ranked[] = {1, 1, 4};
  ir_measures_t m;
  cr_assert_eq(ir_measure(ranked, 3, GAIN, 5, 10, 1000, 100, &m), 0);
  NEAR(m.ndcg10, (3.0 + 1.0 / log2(4.0)) / (3.0 + 1.0 / log2(3.0)));
  NEAR(m.ap, (1.0 + 2.0 / 3.0) / 2.0);
}

Test(ir_eval, cutoffs_and_unknown_documents) {
  /* 4 is found at rank 3: outside nDCG@2 and R@2 */
  int ranked[] = {1, 99, 4, -1};
  ir_measures_t m;
  cr_assert_eq(ir_measure(ranked, 4, GAIN, 5, 2, 1000, 2, &m), 0);
  NEAR(m.ndcg10, 3.0 / (3.0 + 1.0 / log2(3.0)));
  NEAR(m.r100, 0.5);
  /* nothing found: all zero */
  int none[] = {0, 2};
  cr_assert_eq(ir_measure(none, 2, GAIN, 5, 10, 1000, 100, &m), 0);
  NEAR(m.ndcg10, 0);
  NEAR(m.ap, 0);
}

Test(ir_eval, query_without_judgments_is_skipped) {
  static const double zero[3] = {0, 0, 0};
  int ranked[] = {0, 1};
  ir_measures_t m;
  cr_assert_eq(ir_measure(ranked, 2, zero, 2, 10, 1000, 100, &m), -1);
}
