/*
** guard.c -- request deadlines and the body budget; see guard.h.
*/
#define _DEFAULT_SOURCE /* struct tcp_info */
#include "guard.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/* After an answer, how long a connection counts as closing rather than as
 * waiting for its next request (guard_accept). */
#define IDLE_GRACE_MS 500

static bool same_key(const addr_key *a, const addr_key *b)
{
    return a->family == b->family && memcmp(a->bytes, b->bytes, sizeof(a->bytes)) == 0;
}

addr_key guard_address_key(const struct sockaddr *a)
{
    addr_key k;
    memset(&k, 0, sizeof(k));
    if (!a) return k;
    k.family = a->sa_family;
    if (a->sa_family == AF_INET) {
        memcpy(k.bytes, &((const struct sockaddr_in *)(const void *)a)->sin_addr, 4);
    } else if (a->sa_family == AF_INET6) {
        const struct in6_addr *v6 = &((const struct sockaddr_in6 *)(const void *)a)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(v6)) {   /* IPv4-mapped: the IPv4 address */
            k.family = AF_INET;
            memcpy(k.bytes, v6->s6_addr + 12, 4);
        } else {                          /* one host may use its whole /64 */
            memcpy(k.bytes, v6->s6_addr, 8);
        }
    }
    return k;
}

struct conn_slot {
    conn_slot *prev, *next;
    MHD_socket fd;
    int64_t since_ms;   /* start of the current request's deadline */
    addr_key from;      /* the client's address */
    size_t reserved;    /* bytes of the body budget its request holds */
    size_t answered;    /* bytes of the answer budget its answers hold */
    bool waiting;       /* no whole request yet: new, or a request is arriving */
    bool begun;         /* a request line arrived and its answer is not done */
    bool late;          /* that request began once draining: refused, never run */
    bool answering;     /* the request arrived; not timed */
    bool shut;          /* already shut down by the reaper */
};

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

bool guard_times_idle(void)
{
#ifdef TCP_INFO
    return true;
#else
    return false;
#endif
}

int guard_init(guard *g, unsigned request_seconds, unsigned idle_seconds, size_t budget_bytes,
               size_t address_share_bytes, size_t answer_budget_bytes, unsigned per_address)
{
    g->head = NULL;
    g->idle_seconds = guard_times_idle() ? idle_seconds : 0;
    g->per_address = per_address;
    g->admitted_count = 0;
    atomic_init(&g->address_refusals, 0);
    g->request_seconds = request_seconds;
    g->budget_bytes = budget_bytes;
    g->address_share_bytes = address_share_bytes;
    atomic_init(&g->reserved_bytes, 0);
    atomic_init(&g->deadline_closes, 0);
    atomic_init(&g->budget_refusals, 0);
    g->answer_budget_bytes = answer_budget_bytes;
    atomic_init(&g->answer_reserved_bytes, 0);
    atomic_init(&g->answer_refusals, 0);
    atomic_init(&g->connections_open, 0);
    g->handing = false;
    g->handed_ms = 0;
    g->accept_stopping = false;
    g->reaper_running = false;
    g->stopping = false;
    atomic_init(&g->draining, false);
    atomic_init(&g->drain_answered, 0);
    atomic_init(&g->drain_cuts, 0);
    atomic_init(&g->drain_refused, 0);
    atomic_init(&g->drain_idle, 0);
    atomic_init(&g->drain_gone, 0);
    atomic_init(&g->drain_failed, 0);
    g->cut_notice = NULL;
    g->cut_notice_ctx = NULL;
    if (pthread_mutex_init(&g->mutex, NULL) != 0) return -1;
    if (pthread_cond_init(&g->wake, NULL) != 0) {
        pthread_mutex_destroy(&g->mutex);
        return -1;
    }
    if (pthread_cond_init(&g->room, NULL) != 0) {
        pthread_cond_destroy(&g->wake);
        pthread_mutex_destroy(&g->mutex);
        return -1;
    }
    return 0;
}

static bool overdue(const conn_slot *s, int64_t now, int64_t limit)
{
    return limit && !s->answering && !s->shut && now - s->since_ms >= limit;
}

/* How long nothing has arrived on s: since its deadline's start or since
 * the last byte the kernel took for it, whichever is later; 0 when the
 * kernel does not say (left to libmicrohttpd's own idle timeout). */
static int64_t quiet_ms(const conn_slot *s, int64_t now)
{
#ifdef TCP_INFO
    struct tcp_info ti;
    socklen_t n = sizeof(ti);
    memset(&ti, 0, sizeof(ti));
    if (getsockopt(s->fd, IPPROTO_TCP, TCP_INFO, &ti, &n) != 0 ||
        n < offsetof(struct tcp_info, tcpi_last_data_recv) + sizeof(ti.tcpi_last_data_recv))
        return 0;
    int64_t since = now - s->since_ms;
    return (int64_t)ti.tcpi_last_data_recv < since ? (int64_t)ti.tcpi_last_data_recv : since;
#else
    (void)s;
    (void)now;
    return 0;
#endif
}

/* Whether s waits for a request (not answering) and nothing arrived on it
 * for the idle timeout: the kernel is asked only once its deadline's start
 * is that old. */
static bool idle(const conn_slot *s, int64_t now, int64_t limit)
{
    return limit && !s->answering && !s->shut && now - s->since_ms >= limit &&
           quiet_ms(s, now) >= limit;
}

/* Under the mutex.  While draining, a begun request cut here is one the
 * stop waited for: it is said first (libmicrohttpd's own line, after the
 * shutdown, reads as if the client had left).  One begun once draining
 * (late) the stop did not wait for: it is counted as refused, not said.
 * A begun request closed for the idle timeout is counted as closed so
 * (libmicrohttpd's termination code says the client left). */
static void reap(guard *g, int64_t now)
{
    int64_t limit = (int64_t)g->request_seconds * 1000;
    int64_t idle_limit = (int64_t)g->idle_seconds * 1000;
    bool draining = atomic_load(&g->draining);
    size_t cut = 0, refused = 0;
    for (conn_slot *s = g->head; s && draining; s = s->next) {
        if (!s->begun || !overdue(s, now, limit)) continue;
        if (s->late) refused++;
        else cut++;
    }
    if (cut && g->cut_notice) g->cut_notice(g->cut_notice_ctx, cut, g->request_seconds);
    atomic_fetch_add(&g->drain_cuts, cut);
    atomic_fetch_add(&g->drain_refused, refused);
    for (conn_slot *s = g->head; s; s = s->next) {
        if (overdue(s, now, limit)) {
            atomic_fetch_add(&g->deadline_closes, 1);
        } else if (idle(s, now, idle_limit)) {
            if (s->begun && draining) atomic_fetch_add(s->late ? &g->drain_refused : &g->drain_idle, 1);
        } else {
            continue;
        }
        shutdown(s->fd, SHUT_RDWR);
        s->shut = true;
    }
}

static void *reaper_main(void *arg)
{
    guard *g = arg;
    pthread_mutex_lock(&g->mutex);
    while (!g->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 250 * 1000000L;
        if (until.tv_nsec >= 1000000000L) until.tv_sec++, until.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&g->wake, &g->mutex, &until);
        if (!g->stopping) reap(g, now_ms());
    }
    pthread_mutex_unlock(&g->mutex);
    return NULL;
}

int guard_start(guard *g)
{
    if (g->request_seconds == 0 && g->idle_seconds == 0) return 0;
    int rc = pthread_create(&g->reaper, NULL, reaper_main, g);
    if (rc != 0) return rc;
    g->reaper_running = true;
    return 0;
}

size_t guard_drain(guard *g)
{
    size_t n = 0;
    pthread_mutex_lock(&g->mutex); /* each request began before this, or is late */
    atomic_store(&g->draining, true);
    for (conn_slot *s = g->head; s; s = s->next) n += s->begun && !s->shut;
    pthread_mutex_unlock(&g->mutex);
    return n;
}

void guard_set_cut_notice(guard *g, void (*fn)(void *ctx, size_t requests,
                                               unsigned request_seconds), void *ctx)
{
    g->cut_notice = fn;
    g->cut_notice_ctx = ctx;
}

void guard_destroy(guard *g)
{
    pthread_mutex_lock(&g->mutex);
    g->stopping = true;
    pthread_cond_broadcast(&g->wake);
    pthread_mutex_unlock(&g->mutex);
    if (g->reaper_running) pthread_join(g->reaper, NULL);
    g->reaper_running = false;
    pthread_cond_destroy(&g->room);
    pthread_cond_destroy(&g->wake);
    pthread_mutex_destroy(&g->mutex);
}

static void slot_open(guard *g, struct MHD_Connection *c, void **ctx)
{
    const union MHD_ConnectionInfo *fd = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    const union MHD_ConnectionInfo *from = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    conn_slot *s = calloc(1, sizeof(*s));
    *ctx = s;
    if (!s || !fd) return; /* untimed; the idle timeout still applies */
    s->fd = fd->connect_fd;
    s->since_ms = now_ms();
    s->from = guard_address_key(from ? from->client_addr : NULL);
    s->waiting = true;
    pthread_mutex_lock(&g->mutex);
    for (unsigned i = 0; i < g->admitted_count; i++) /* it counts as a slot from now */
        if (same_key(&g->admitted[i].from, &s->from)) {
            g->admitted[i] = g->admitted[--g->admitted_count];
            break;
        }
    s->next = g->head;
    if (g->head) g->head->prev = s;
    g->head = s;
    pthread_mutex_unlock(&g->mutex);
}

/* Under the mutex: s's begun request ended unanswered (how), counted while
 * draining as guard_request_ended says; no longer begun. */
static void end_request(guard *g, conn_slot *s, guard_end how)
{
    if (s->begun && !s->shut && atomic_load(&g->draining)) {
        atomic_uint_fast64_t *count = s->late ? &g->drain_refused
                                    : how == GUARD_END_IDLE ? &g->drain_idle
                                    : how == GUARD_END_CLIENT ? &g->drain_gone
                                    : &g->drain_failed;
        atomic_fetch_add(count, 1);
    }
    s->answering = s->begun = s->late = false;
}

static void slot_close(guard *g, conn_slot *s)
{
    if (!s) return;
    pthread_mutex_lock(&g->mutex);
    end_request(g, s, GUARD_END_CLIENT); /* none told: its client left, most likely */
    if (s->prev) s->prev->next = s->next;
    else if (g->head == s) g->head = s->next;
    if (s->next) s->next->prev = s->prev;
    pthread_mutex_unlock(&g->mutex);
    free(s);
}

/* Under the mutex: whether a connection handed is not yet started,
 * forgotten a second after it was handed (libmicrohttpd dropped it: its
 * thread starts one at once). */
static bool handing(guard *g, int64_t now)
{
    if (g->handing && now - g->handed_ms > 1000) g->handing = false;
    return g->handing;
}

bool guard_wait_room(guard *g, unsigned max)
{
    pthread_mutex_lock(&g->mutex);
    while (!g->accept_stopping &&
           (handing(g, now_ms()) || atomic_load(&g->connections_open) >= max)) {
        if (!g->handing) {
            pthread_cond_wait(&g->room, &g->mutex);
            continue;
        }
        int64_t wait_ms = g->handed_ms + 1001 - now_ms(); /* till it is forgotten */
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        int64_t ns = until.tv_nsec + (wait_ms > 0 ? wait_ms : 1) * 1000000L;
        until.tv_sec += (time_t)(ns / 1000000000L);
        until.tv_nsec = (long)(ns % 1000000000L);
        pthread_cond_timedwait(&g->room, &g->mutex, &until);
    }
    bool go_on = !g->accept_stopping;
    pthread_mutex_unlock(&g->mutex);
    return go_on;
}

void guard_handing(guard *g)
{
    pthread_mutex_lock(&g->mutex);
    g->handing = true;
    g->handed_ms = now_ms();
    pthread_mutex_unlock(&g->mutex);
}

void guard_hand_failed(guard *g)
{
    pthread_mutex_lock(&g->mutex);
    g->handing = false;
    pthread_mutex_unlock(&g->mutex);
}

void guard_stop_accepting(guard *g)
{
    pthread_mutex_lock(&g->mutex);
    g->accept_stopping = true;
    pthread_cond_broadcast(&g->room);
    pthread_mutex_unlock(&g->mutex);
}

void guard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                  enum MHD_ConnectionNotificationCode code)
{
    guard *g = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        pthread_mutex_lock(&g->mutex); /* the one handed is now open */
        atomic_fetch_add(&g->connections_open, 1);
        g->handing = false;
        pthread_cond_signal(&g->room);
        pthread_mutex_unlock(&g->mutex);
        slot_open(g, c, socket_context);
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        slot_close(g, *socket_context);
        *socket_context = NULL;
        pthread_mutex_lock(&g->mutex);
        atomic_fetch_sub(&g->connections_open, 1);
        pthread_cond_signal(&g->room); /* one more may be accepted */
        pthread_mutex_unlock(&g->mutex);
    }
}

static conn_slot *slot_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *i = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return i ? i->socket_context : NULL;
}

bool guard_request_begun(guard *g, struct MHD_Connection *c)
{
    conn_slot *s = slot_of(c);
    if (!s) return atomic_load(&g->draining);
    pthread_mutex_lock(&g->mutex);
    s->begun = s->waiting = true;
    s->late = atomic_load(&g->draining);
    bool late = s->late;
    pthread_mutex_unlock(&g->mutex);
    return late;
}

/* Whether a whole request head waits in the kernel for its thread (the
 * connection just started, not slow): asked only at the limit; a peek takes
 * nothing from the stream.  A connection its client has closed is not left
 * out: it holds its slot until libmicrohttpd reads the close, and after the
 * answer a peek cannot tell that from one closed with nothing more to say. */
static bool head_queued(MHD_socket fd)
{
    char b[1024];
    ssize_t n = recv(fd, b, sizeof(b), MSG_PEEK | MSG_DONTWAIT);
    for (ssize_t i = 1; i < n; i++)
        if (b[i] == '\n' && (b[i - 1] == '\n' || (i >= 3 && memcmp(b + i - 3, "\r\n\r", 3) == 0)))
            return true;
    return false;
}

enum MHD_Result guard_accept(void *cls, const struct sockaddr *addr, socklen_t len)
{
    guard *g = cls;
    (void)len;
    if (atomic_load(&g->draining)) return MHD_NO; /* closed at once, unanswered */
    if (!g->per_address) return MHD_YES;
    addr_key k = guard_address_key(addr);
    unsigned waiting = 0, all = 0;
    int64_t now = now_ms();
    pthread_mutex_lock(&g->mutex);
    for (unsigned i = 0; i < g->admitted_count;) {
        if (now - g->admitted[i].at_ms > 1000) {
            g->admitted[i] = g->admitted[--g->admitted_count];
            continue;
        }
        if (same_key(&g->admitted[i].from, &k)) waiting++, all++;
        i++;
    }
    for (conn_slot *s = g->head; s; s = s->next) {
        if (s->shut || !same_key(&s->from, &k)) continue;
        all++;
        /* idle since its answer for a moment: it may be sending the next
         * request slowly, byte by byte; closed by its client it would have
         * been seen by now */
        waiting += !s->answering && (s->waiting || now - s->since_ms >= IDLE_GRACE_MS);
    }
    bool admit = waiting < g->per_address && all < 4 * (uint64_t)g->per_address;
    if (!admit && all < 4 * (uint64_t)g->per_address) {
        /* count again: a connection whose whole head is queued is not waiting */
        waiting = 0;
        for (unsigned i = 0; i < g->admitted_count; i++)
            waiting += same_key(&g->admitted[i].from, &k);
        for (conn_slot *s = g->head; s; s = s->next)
            if (!s->shut && same_key(&s->from, &k) && !s->answering &&
                (s->waiting || now - s->since_ms >= IDLE_GRACE_MS) &&
                (s->begun || !head_queued(s->fd)))
                waiting++;
        admit = waiting < g->per_address && all < 4 * (uint64_t)g->per_address;
    }
    if (admit && g->admitted_count < GUARD_ADMITTED_MAX)
        g->admitted[g->admitted_count++] = (guard_admitted){ k, now };
    pthread_mutex_unlock(&g->mutex);
    if (admit) return MHD_YES;
    atomic_fetch_add(&g->address_refusals, 1);
    return MHD_NO;
}

size_t guard_requests_begun(guard *g, size_t *late)
{
    size_t n = 0, l = 0;
    pthread_mutex_lock(&g->mutex);
    for (conn_slot *s = g->head; s; s = s->next) {
        n += s->begun && !s->shut;
        l += s->begun && !s->shut && s->late;
    }
    pthread_mutex_unlock(&g->mutex);
    if (late) *late = l;
    return n;
}

void guard_request_arrived(guard *g, struct MHD_Connection *c)
{
    conn_slot *s = slot_of(c);
    if (!s) return;
    pthread_mutex_lock(&g->mutex);
    s->answering = true;
    s->waiting = false;
    pthread_mutex_unlock(&g->mutex);
}

void guard_request_done(guard *g, struct MHD_Connection *c)
{
    conn_slot *s = slot_of(c);
    if (!s) return;
    pthread_mutex_lock(&g->mutex);
    if (s->begun && atomic_load(&g->draining))
        atomic_fetch_add(s->late ? &g->drain_refused : &g->drain_answered, 1);
    s->answering = s->begun = s->late = false;
    s->since_ms = now_ms();
    pthread_mutex_unlock(&g->mutex);
}

void guard_request_ended(guard *g, struct MHD_Connection *c, guard_end how)
{
    conn_slot *s = slot_of(c);
    if (!s) return;
    pthread_mutex_lock(&g->mutex);
    end_request(g, s, how);
    pthread_mutex_unlock(&g->mutex);
}

/* Take bytes from a budget of `budget` of which *held is spent; false,
 * counted in *refusals, when they do not fit. */
static bool take(atomic_size_t *held, size_t budget, atomic_uint_fast64_t *refusals, size_t bytes)
{
    size_t cur = atomic_load(held);
    do {
        if (bytes > budget - cur) {
            atomic_fetch_add(refusals, 1);
            return false;
        }
    } while (!atomic_compare_exchange_weak(held, &cur, cur + bytes));
    return true;
}

bool guard_reserve(guard *g, size_t bytes)
{
    return take(&g->reserved_bytes, g->budget_bytes, &g->budget_refusals, bytes);
}

void guard_release(guard *g, size_t bytes)
{
    if (bytes) atomic_fetch_sub(&g->reserved_bytes, bytes);
}

/* The bytes of the body budget (or of the answer budget) that s's address
 * holds, s included (s may be out of the list: slot_open without a
 * socket).  Under the mutex. */
static size_t address_holds(const guard *g, const conn_slot *s, bool answers)
{
    size_t held = answers ? s->answered : s->reserved;
    for (const conn_slot *o = g->head; o; o = o->next)
        if (o != s && same_key(&o->from, &s->from)) held += answers ? o->answered : o->reserved;
    return held;
}

guard_take guard_reserve_from(guard *g, struct MHD_Connection *c, size_t bytes)
{
    conn_slot *s = g->per_address ? slot_of(c) : NULL; /* 0: no per-address bound at all */
    if (!s) return guard_reserve(g, bytes) ? GUARD_TAKEN : GUARD_SPENT;
    pthread_mutex_lock(&g->mutex);
    size_t held = address_holds(g, s, false);
    guard_take t = GUARD_TAKEN;
    if (held > g->address_share_bytes || bytes > g->address_share_bytes - held) {
        atomic_fetch_add(&g->budget_refusals, 1);
        t = GUARD_SHARE_SPENT;
    } else if (!guard_reserve(g, bytes)) {
        t = GUARD_SPENT;
    } else {
        s->reserved += bytes;
    }
    pthread_mutex_unlock(&g->mutex);
    return t;
}

/* What c's slot holds of the body budget (or of the answer budget) goes
 * down by bytes. */
static void slot_release(guard *g, struct MHD_Connection *c, size_t bytes, bool answers)
{
    conn_slot *s = slot_of(c);
    if (!s) return;
    pthread_mutex_lock(&g->mutex);
    size_t *held = answers ? &s->answered : &s->reserved;
    *held -= bytes < *held ? bytes : *held;
    pthread_mutex_unlock(&g->mutex);
}

void guard_release_from(guard *g, struct MHD_Connection *c, size_t bytes)
{
    if (!bytes) return;
    slot_release(g, c, bytes, false);
    guard_release(g, bytes);
}

size_t guard_answer_bytes(size_t bytes)
{
    return bytes > GUARD_ANSWER_FREE_BYTES ? bytes : 0;
}

/* An answer larger than the whole budget is taken while nothing else is
 * held: refused for good, a city's whole /rank would be an answer 1.0 gave
 * and this one never does.  It then holds more than the budget: every other
 * big answer waits for it. */
bool guard_reserve_answer(guard *g, size_t bytes)
{
    bytes = guard_answer_bytes(bytes);
    if (!bytes) return true;
    size_t cur = atomic_load(&g->answer_reserved_bytes);
    do {
        if (cur != 0 && (cur >= g->answer_budget_bytes || bytes > g->answer_budget_bytes - cur)) {
            atomic_fetch_add(&g->answer_refusals, 1);
            return false;
        }
    } while (!atomic_compare_exchange_weak(&g->answer_reserved_bytes, &cur, cur + bytes));
    return true;
}

/* As for bodies, one address holds at most half of the answer budget, so
 * that clients on one address that ask and never read cannot make every
 * other reader wait for --timeout; but one answer larger than that half is
 * taken for an address that holds no other (refused for good, it would be
 * an answer 1.0 gave). */
guard_take guard_reserve_answer_from(guard *g, struct MHD_Connection *c, size_t bytes)
{
    bytes = guard_answer_bytes(bytes);
    conn_slot *s = bytes && g->per_address ? slot_of(c) : NULL; /* as guard_reserve_from */
    if (!s) return guard_reserve_answer(g, bytes) ? GUARD_TAKEN : GUARD_SPENT;
    pthread_mutex_lock(&g->mutex);
    size_t held = address_holds(g, s, true);
    size_t share = g->answer_budget_bytes / 2;
    guard_take t = GUARD_TAKEN;
    if (held != 0 && (held >= share || bytes > share - held)) {
        atomic_fetch_add(&g->answer_refusals, 1);
        t = GUARD_SHARE_SPENT;
    } else if (!guard_reserve_answer(g, bytes)) {
        t = GUARD_SPENT;
    } else {
        s->answered += bytes;
    }
    pthread_mutex_unlock(&g->mutex);
    return t;
}

void guard_release_answer(guard *g, size_t bytes)
{
    if (bytes) atomic_fetch_sub(&g->answer_reserved_bytes, bytes);
}

void guard_release_answer_from(guard *g, struct MHD_Connection *c, size_t bytes)
{
    if (!bytes) return;
    slot_release(g, c, bytes, true);
    guard_release_answer(g, bytes);
}
