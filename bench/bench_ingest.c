/*
 * bench/bench_ingest.c - ingestion throughput on a generated corpus of 1000+
 * documents through the real pipeline (rag_document_add + rag_ingest_document:
 * store the file, detect, parse, chunk, index, mark ready), single thread:
 *   - PDFs (5 pages of Helvetica text each, written by this program): pages/s;
 *   - text documents (~20 KB each): MB/s of text for chunk + index;
 * and the peak RSS of the process.
 * With --pg the store is a database of a throwaway PostgreSQL cluster
 * (tests/support/pg.c) instead of SQLite: the same pipeline, timed the same
 * way, so the two backends compare run against run.
 * Usage: bench_ingest [--pdfs N] [--texts N] [--pg]
 */
#include "pg.h"
#include "rag_bench.h"
#include "store/documents.h"

static int ingest_file(bench_env_t *b, const char *path, const char *name, int *pages, int *chunks) {
  rag_add_t req = {.user_id = b->user_id, .filename = name, .src_path = path, .chunk_overlap = -1, .no_job = 1};
  char id[17], err[256];
  int dup;
  if (rag_document_add(b->rag, &req, id, &dup, err, sizeof err) != 0) return -1;
  if (rag_ingest_document(b->rag, id, NULL, NULL, err, sizeof err) != 0) return -1;
  store_doc_t *d = NULL;
  if (store_doc_get(b->app.store, b->user_id, id, &d) != STORE_OK) return -1;
  int ok = !strcmp(d->status, "ready");
  *pages += d->pages;
  *chunks += d->chunk_count;
  store_doc_free(d);
  return ok ? 0 : -1;
}

int main(int argc, char **argv) {
  int npdf = 200, ntxt = 1000, pg = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--pg"))
      pg = 1;
    else if (!strcmp(argv[i], "--pdfs") && i + 1 < argc)
      npdf = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--texts") && i + 1 < argc)
      ntxt = atoi(argv[++i]);
  }
  char url[512] = "";
  if (pg) {
    char conninfo[256], err[256];
    pg_test_cluster_up();
    if (!getenv("MAESTRO_TEST_PG")) {
      fprintf(stderr, "PostgreSQL: %s\n", getenv("MAESTRO_TEST_PG_ERROR"));
      return 1;
    }
    if (pg_cluster_new_db(conninfo, sizeof conninfo, err, sizeof err) != 0 ||
        pg_conninfo_url(conninfo, url, sizeof url) != 0) {
      fprintf(stderr, "PostgreSQL: %s\n", err);
      pg_test_cluster_down();
      return 1;
    }
  }
  bench_env_t b;
  bench_open_url(&b, NULL, pg ? url : NULL);
  char src[128];
  snprintf(src, sizeof src, "%s/src", b.dir);
  mkdir(src, 0700);
  /* corpus generation (not timed) */
  double g0 = bench_now_ms();
  char path[256], name[64];
  for (int i = 0; i < npdf; i++) {
    snprintf(path, sizeof path, "%s/doc%04d.pdf", src, i);
    bench_write_pdf(path, 1000u + (unsigned)i, 5);
  }
  size_t text_bytes = 0;
  buf_t t = BUF_INIT;
  buf_init(&t);
  for (int i = 0; i < ntxt; i++) {
    buf_reset(&t);
    unsigned seed = 50000u + (unsigned)i;
    while (t.len < 20000) {
      for (int w = 0; w < 90; w++) {
        bench_word(&seed, &t);
        buf_putc(&t, w % 15 == 14 ? '.' : ' ');
        if (w % 15 == 14) buf_putc(&t, ' ');
      }
      buf_puts(&t, "\n\n");
    }
    snprintf(path, sizeof path, "%s/doc%04d.txt", src, i);
    FILE *f = fopen(path, "w");
    fwrite(t.data, 1, t.len, f);
    fclose(f);
    text_bytes += t.len;
  }
  buf_free(&t);
  double gen = bench_now_ms() - g0;
  int pages = 0, chunks = 0, failed = 0;
  double p0 = bench_now_ms();
  for (int i = 0; i < npdf; i++) {
    snprintf(path, sizeof path, "%s/doc%04d.pdf", src, i);
    snprintf(name, sizeof name, "doc%04d.pdf", i);
    if (ingest_file(&b, path, name, &pages, &chunks) != 0) failed++;
  }
  double pdf_ms = bench_now_ms() - p0;
  int tpages = 0, tchunks = 0;
  double t0 = bench_now_ms();
  for (int i = 0; i < ntxt; i++) {
    snprintf(path, sizeof path, "%s/doc%04d.txt", src, i);
    snprintf(name, sizeof name, "doc%04d.txt", i);
    if (ingest_file(&b, path, name, &tpages, &tchunks) != 0) failed++;
  }
  double txt_ms = bench_now_ms() - t0;
  printf("store: %s\n", pg ? "PostgreSQL" : "SQLite");
  printf("corpus: %d PDFs (%d pages), %d text documents (%.1f MB); generated in %.1f s\n", npdf, pages, ntxt,
         (double)text_bytes / 1e6, gen / 1000);
  printf("| workload | documents | time s | throughput | chunks |\n|---|---|---|---|---|\n");
  printf("| PDF parse + chunk + index | %d | %.2f | %.1f pages/s | %d |\n", npdf, pdf_ms / 1000,
         pages / (pdf_ms / 1000), chunks);
  printf("| text chunk + index | %d | %.2f | %.2f MB/s | %d |\n", ntxt, txt_ms / 1000,
         (double)text_bytes / 1e6 / (txt_ms / 1000), tchunks);
  printf("peak RSS: %ld MB; failed documents: %d\n", bench_peak_rss_mb(), failed);
  bench_close(&b);
  if (pg) pg_test_cluster_down();
  return failed ? 1 : 0;
}
