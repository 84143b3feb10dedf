/*
 * bench_server.c - server start-up, idle memory, /health throughput and
 * memory per idle WebSocket, for maestro and for a bare civetweb baseline
 * measured in the same run. Prints a table with maestro/baseline ratios.
 *
 *   bench_server MAESTRO_BINARY BASELINE_BINARY [connections]
 *
 * Throughput uses wrk when it is installed (2 threads, 64 connections, 5 s);
 * without it that row is skipped.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

typedef struct {
  pid_t pid;
  int port;
  double start_ms; /* exec to first /health 200 */
} server_t;

static int http_get_ok(int port, const char *path) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    close(fd);
    return 0;
  }
  char req[256];
  int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path);
  if (write(fd, req, (size_t)n) != n) {
    close(fd);
    return 0;
  }
  char buf[512];
  ssize_t r = read(fd, buf, sizeof buf - 1);
  close(fd);
  return r > 12 && strncmp(buf + 9, "200", 3) == 0;
}

static long rss_kb(pid_t pid) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  FILE *f = fopen(path, "r");
  long kb = -1;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "VmRSS: %ld kB", &kb) == 1) break;
  if (f) fclose(f);
  return kb;
}

static int start(server_t *s, const char *bin, const char *dir, int is_baseline, const char *threads) {
  int p[2];
  if (pipe(p) != 0) return -1;
  double t0 = now_ms();
  pid_t pid = fork();
  if (pid == 0) {
    if (chdir(dir) != 0) _exit(127);
    dup2(p[1], 1);
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 2);
    close(p[0]);
    setenv("BACKEND_PORT", "0", 1);
    setenv("FRONTEND_PORT", "0", 1);
    setenv("BIND_ADDRESS", "127.0.0.1", 1);
    setenv("ADMIN_PASSWORD", "bench-password-1", 1);
    setenv("HTTP_THREADS", threads, 1);
    setenv("LOG_LEVEL", "warning", 1);
    if (is_baseline)
      execl(bin, bin, threads, (char *)NULL);
    else
      execl(bin, bin, "serve", (char *)NULL);
    _exit(127);
  }
  close(p[1]);
  FILE *f = fdopen(p[0], "r");
  char line[256];
  s->pid = pid;
  s->port = -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "maestro: listening on port %d", &s->port) == 1) break;
  fclose(f);
  if (s->port <= 0) return -1;
  while (!http_get_ok(s->port, "/health")) usleep(500);
  s->start_ms = now_ms() - t0;
  return 0;
}

static void stop(server_t *s) {
  kill(s->pid, SIGTERM);
  int st;
  waitpid(s->pid, &st, 0);
}

/* Requests per second from wrk, or -1 when wrk is missing. */
static double wrk_rps(int port) {
  char cmd[256];
  snprintf(cmd, sizeof cmd, "wrk -t2 -c64 -d5s http://127.0.0.1:%d/health 2>/dev/null", port);
  FILE *f = popen(cmd, "r");
  if (!f) return -1;
  char line[512];
  double rps = -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "Requests/sec: %lf", &rps) == 1) break;
  pclose(f);
  return rps;
}

/* Opens n WebSockets (maestro: authenticated and subscribed) and returns the
 * RSS growth per connection in bytes. */
static double ws_bytes_per_conn(server_t *s, int n, const char *token) {
  long before = rss_kb(s->pid);
  int *fds = calloc((size_t)n, sizeof *fds);
  int opened = 0;
  for (int i = 0; i < n; i++) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s->port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
      close(fd);
      break;
    }
    char req[1400];
    int len = snprintf(req, sizeof req,
                       "GET /api/ws%s%s HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                       token ? "?token=" : "", token ? token : "");
    if (write(fd, req, (size_t)len) != len) break;
    char resp[512];
    ssize_t r = read(fd, resp, sizeof resp - 1);
    if (r <= 0 || !strstr(resp, " 101 ")) {
      close(fd);
      break;
    }
    fds[opened++] = fd;
  }
  usleep(300000);
  long after = rss_kb(s->pid);
  for (int i = 0; i < opened; i++) close(fds[i]);
  free(fds);
  if (opened < n) fprintf(stderr, "bench_server: only %d of %d WebSockets opened\n", opened, n);
  return opened ? (double)(after - before) * 1024.0 / opened : -1;
}

static char *login(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) return NULL;
  const char *body = "{\"username\":\"admin\",\"password\":\"bench-password-1\"}";
  char req[512];
  int n = snprintf(req, sizeof req,
                   "POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                   "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                   strlen(body), body);
  if (write(fd, req, (size_t)n) != n) return NULL;
  static char resp[8192];
  size_t got = 0;
  ssize_t r;
  while ((r = read(fd, resp + got, sizeof resp - 1 - got)) > 0) got += (size_t)r;
  resp[got] = '\0';
  close(fd);
  char *t = strstr(resp, "\"access_token\":\"");
  if (!t) return NULL;
  t += 16;
  char *e = strchr(t, '"');
  return e ? strndup(t, (size_t)(e - t)) : NULL;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: bench_server MAESTRO_BINARY BASELINE_BINARY [connections]\n");
    return 2;
  }
  int conns = argc > 3 ? atoi(argv[3]) : 1000;
  /* the servers run in a temp directory: make the binary paths absolute */
  char mbin[4096], bbin[4096];
  if (!realpath(argv[1], mbin) || !realpath(argv[2], bbin)) {
    fprintf(stderr, "bench_server: cannot find %s or %s\n", argv[1], argv[2]);
    return 1;
  }
  argv[1] = mbin;
  argv[2] = bbin;
  struct rlimit rl = {conns * 2 + 512, conns * 2 + 512};
  setrlimit(RLIMIT_NOFILE, &rl);
  char threads[16];
  snprintf(threads, sizeof threads, "%d", conns + 64);
  char dir[] = "/tmp/maestro-bench-XXXXXX";
  if (!mkdtemp(dir)) return 1;

  server_t m, b;
  /* The first start creates the database and the admin; the figure that
   * matters day to day is the second (warm) start. */
  double cold_ms = 0;
  if (start(&m, argv[1], dir, 0, threads) != 0 || (cold_ms = m.start_ms, stop(&m), 0) || start(&m, argv[1], dir, 0, threads) != 0) {
    fprintf(stderr, "bench_server: %s did not start\n", argv[1]);
    return 1;
  }
  if (start(&b, argv[2], dir, 1, threads) != 0) {
    fprintf(stderr, "bench_server: %s did not start\n", argv[2]);
    return 1;
  }
  usleep(200000);
  long m_idle = rss_kb(m.pid), b_idle = rss_kb(b.pid);
  double m_rps = wrk_rps(m.port), b_rps = wrk_rps(b.port);
  char *token = login(m.port);
  double m_ws = ws_bytes_per_conn(&m, conns, token);
  double b_ws = ws_bytes_per_conn(&b, conns, NULL);
  free(token);
  stop(&m);
  stop(&b);

  printf("\n== server (maestro vs bare civetweb baseline, same run) ==\n");
  printf("%-38s %14s %14s %8s\n", "metric", "maestro", "baseline", "ratio");
  printf("%-38s %14.1f %14s %8s\n", "first start to /health 200 (ms)", cold_ms, "-", "-");
  printf("%-38s %14.1f %14.1f %8.2f\n", "start to /health 200 (ms)", m.start_ms, b.start_ms, m.start_ms / b.start_ms);
  printf("%-38s %14.1f %14.1f %8.2f\n", "idle RSS (MiB)", m_idle / 1024.0, b_idle / 1024.0, (double)m_idle / b_idle);
  if (m_rps > 0 && b_rps > 0)
    printf("%-38s %14.0f %14.0f %8.2f\n", "/health requests per second (wrk)", m_rps, b_rps, m_rps / b_rps);
  else
    printf("%-38s %14s %14s %8s\n", "/health requests per second", "no wrk", "-", "-");
  printf("%-38s %14.1f %14.1f %8.2f\n", "RSS per idle WebSocket (KiB)", m_ws / 1024.0, b_ws / 1024.0, m_ws / b_ws);
  printf("(%d WebSocket connections; maestro's are authenticated)\n", conns);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) return 1;
  return 0;
}
