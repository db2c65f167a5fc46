/*
** guard.h -- resource bounds libmicrohttpd does not give on its own.
**
**   request deadline  every request must arrive whole (headers and body)
**                     within `request_seconds` of the connection opening or
**                     of the previous answer on it.  libmicrohttpd has only an
**                     idle timeout, which a client sending one byte every few
**                     seconds never trips; a reaper thread shuts such a
**                     connection's socket down (shutdown(2), so libmicrohttpd
**                     notices and closes it itself: the descriptor is never
**                     closed under it).  A connection whose request has
**                     arrived is not timed while it is answered.
**   idle timeout      a connection waiting for a request (new, kept alive
**                     after an answer, or a request arriving) on which no
**                     byte arrived for `idle_seconds` (--timeout) is shut
**                     down by the same reaper, at most a tick late.
**                     libmicrohttpd 0.9.75 gives a connection thread's poll
**                     its timeout in whole seconds, so in the last second
**                     before its own idle timeout the thread polls without
**                     waiting (a second of CPU for each connection closed
**                     so); the service sets that timeout past this one
**                     (civic-server.c, start_daemon), and lowers it to
**                     --timeout only while an answer is made and sent,
**                     which the reaper does not time.  The last byte's
**                     time is the kernel's (TCP_INFO, Linux): without it
**                     (guard_times_idle false) libmicrohttpd times them.
**   body budget       request bodies are buffered whole (a batch is all or
**                     nothing); the bytes reserved for them, summed over all
**                     connections, stay within `budget_bytes`.  A request
**                     that does not fit is answered 503 with Retry-After.
**                     One client address holds at most `address_share_bytes`
**                     of it (half of it, or one --max-body when that is more),
**                     so that bodies declared and never sent from one address
**                     cannot lock every other writer out until the deadline.
**                     With per_address 0 (--max-per-ip 0, behind a proxy)
**                     neither budget has a per-address share.
**   answer budget     answers are built whole and held until their client has
**                     read them (a client that asks and never reads holds its
**                     answer until the connection closes); the bytes of the
**                     answers held, summed over all connections, stay within
**                     `answer_budget_bytes`, but for one answer larger than
**                     the whole budget, taken while no other is held.  One
**                     client address holds at most half of it, but for one
**                     answer larger than that, taken while it holds no
**                     other: clients that ask and never read from one
**                     address cannot make every other reader wait.  Answers
**                     of at most GUARD_ANSWER_FREE_BYTES are not counted: an
**                     error, and the 503 that says the budget is spent, always
**                     go out (nor /metrics and /openapi.json: civic-server.c).
**
** Invariants: a slot is in the list from MHD's STARTED notification to its
** CLOSED notification, and libmicrohttpd closes the descriptor only after
** CLOSED (read in daemon.c of 0.9.75, on both of its close paths), so
** shutdown() under the mutex always hits the right socket.
*/
#ifndef CIVIC_SERVER_GUARD_H
#define CIVIC_SERVER_GUARD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/socket.h>
#include <microhttpd.h>

typedef struct conn_slot conn_slot;

/* A client address as a key: the family and the address bytes (no port):
 * an IPv4 address, or an IPv6 address's /64 prefix (a host may take any
 * address of its /64, so a key per address would let one client multiply
 * its shares); an IPv4-mapped address (::ffff:a.b.c.d) is its IPv4
 * address. */
typedef struct addr_key {
    sa_family_t family;
    unsigned char bytes[16];
} addr_key;

addr_key guard_address_key(const struct sockaddr *a);

/* A connection guard_accept admitted that has not yet started (libmicrohttpd
 * tells the guard of it a moment later, maybe on another thread): counted
 * meanwhile, so that two accepts at once cannot both take the last place. */
#define GUARD_ADMITTED_MAX 64
typedef struct guard_admitted {
    addr_key from;
    int64_t at_ms;             /* forgotten after a second: never started */
} guard_admitted;

/* Answers this small are not counted in the answer budget: every error
 * answer (the 503 for a spent budget included) and /healthz are smaller, and
 * what they hold is bounded by --max-connections x this. */
#define GUARD_ANSWER_FREE_BYTES (16u * 1024u)

typedef struct guard {
    pthread_mutex_t mutex;
    pthread_cond_t wake;
    conn_slot *head;
    unsigned request_seconds;  /* 0: no deadline */
    unsigned idle_seconds;     /* 0: no idle timeout (or libmicrohttpd's) */
    size_t budget_bytes;
    size_t address_share_bytes; /* of budget_bytes, for one client address */
    atomic_size_t reserved_bytes;
    atomic_uint_fast64_t deadline_closes;
    atomic_uint_fast64_t budget_refusals;
    size_t answer_budget_bytes;
    atomic_size_t answer_reserved_bytes;
    atomic_uint_fast64_t answer_refusals;
    atomic_uint_fast64_t connections_open; /* changed under the mutex too: see handing */
    atomic_uint_fast64_t address_refusals; /* connections refused by guard_accept */
    unsigned per_address;      /* 0: no limit */
    guard_admitted admitted[GUARD_ADMITTED_MAX];
    unsigned admitted_count;
    /* For the accepting thread (civic-server.c, accept_main): a connection
     * handed to libmicrohttpd (MHD_add_connection) and not yet started,
     * which its thread starts a moment later; one it then drops (no memory
     * for it) is never started nor closed, and is forgotten a second after
     * it was handed.  `room` is signalled when a connection starts or
     * closes. */
    bool handing;
    int64_t handed_ms;
    bool accept_stopping;      /* guard_stop_accepting was called */
    pthread_cond_t room;
    pthread_t reaper;
    bool reaper_running;
    bool stopping;
    atomic_bool draining;      /* shutting down: guard_accept refuses every connection */
    atomic_uint_fast64_t drain_answered; /* requests begun and answered while draining */
    atomic_uint_fast64_t drain_cuts;     /* requests begun and cut by the reaper while draining */
    atomic_uint_fast64_t drain_refused;  /* requests begun once draining (refused, never run),
                                          * answered or cut: in no count above or below */
    /* requests begun before draining that ended unanswered while draining,
     * other than cut by the reaper: by how (guard_request_ended) */
    atomic_uint_fast64_t drain_idle;     /* closed by the idle timeout (--timeout) */
    atomic_uint_fast64_t drain_gone;     /* given up by their client (closed, reset) */
    atomic_uint_fast64_t drain_failed;   /* ended in an error (an answer that could not
                                          * be sent, a connection closed unanswered) */
    /* While draining, told how many begun requests the reaper is about to
     * cut (before it cuts them: libmicrohttpd's line about each comes
     * after); called by the reaper thread under the guard's mutex. */
    void (*cut_notice)(void *ctx, size_t requests, unsigned request_seconds);
    void *cut_notice_ctx;
} guard;

int guard_init(guard *g, unsigned request_seconds, unsigned idle_seconds, size_t budget_bytes,
               size_t address_share_bytes, size_t answer_budget_bytes, unsigned per_address);
/* Whether the reaper can tell how long a connection has been idle (Linux's
 * TCP_INFO); when not, guard_init takes idle_seconds 0. */
bool guard_times_idle(void);
/* The reaper thread, when there is a deadline or an idle timeout; 0, or
 * pthread_create's error. */
int guard_start(guard *g);
void guard_destroy(guard *g);         /* stops the reaper; after MHD_stop_daemon */
/* From now on guard_accept refuses (shutdown) and a request that begins is
 * late; how many requests had begun and are not yet answered. */
size_t guard_drain(guard *g);
/* Before guard_start: who is told of the requests cut while draining. */
void guard_set_cut_notice(guard *g, void (*fn)(void *ctx, size_t requests,
                                               unsigned request_seconds), void *ctx);

/* The accepting thread (civic-server.c): waits while the connection last
 * handed has not started (so that guard_accept sees it, and the thread
 * accepts no faster than libmicrohttpd starts connections), and while
 * `max` connections are open, until one closes; then true, or false once
 * guard_stop_accepting was called. */
bool guard_wait_room(guard *g, unsigned max);
/* A connection is about to be handed to libmicrohttpd: waited for from now. */
void guard_handing(guard *g);
/* MHD_add_connection refused it (and closed its socket): not waited for. */
void guard_hand_failed(guard *g);
/* guard_wait_room returns false from now on (the stop). */
void guard_stop_accepting(guard *g);

/* MHD_OPTION_NOTIFY_CONNECTION callback; cls is the guard. */
void guard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                  enum MHD_ConnectionNotificationCode code);
/* The accept policy (MHD_start_daemon's apc; cls is the guard): at most
 * per_address connections from one address waiting for a whole request (a
 * new one, one whose request is arriving, or one idle for half a second
 * since its answer: what a slow client holds), and 4 x per_address in all.
 * Counting every open connection, as libmicrohttpd does, overcounts a client
 * that opens one connection after another: one it closed a moment ago is
 * still open here, and one whose request the kernel holds for its thread
 * (just started) is new.  So before refusing for the first bound, it peeks
 * at the address's waiting connections: one whose whole request head is
 * queued is not waiting (plain HTTP only: TLS records hide the head).  One
 * its client closed still counts until libmicrohttpd has read the close
 * (its thread's next turn: it polls level-triggered, see start_daemon). */
enum MHD_Result guard_accept(void *cls, const struct sockaddr *addr, socklen_t len);
/* A request line arrived on c: a shutdown waits for its answer.  True when
 * it began once draining (late: to be refused, nothing of it run). */
bool guard_request_begun(guard *g, struct MHD_Connection *c);
/* Connections whose request began and is not yet answered; *late (unless
 * NULL) how many of them began once draining. */
size_t guard_requests_begun(guard *g, size_t *late);
/* The request on c has arrived whole: stop timing it. */
void guard_request_arrived(guard *g, struct MHD_Connection *c);
/* The answer on c is done: time the next request from now. */
void guard_request_done(guard *g, struct MHD_Connection *c);
/* How a request ended without its answer done (libmicrohttpd's termination
 * code, read by the caller). */
typedef enum { GUARD_END_IDLE, GUARD_END_CLIENT, GUARD_END_ERROR } guard_end;
/* The request on c ended unanswered, its connection about to close: while
 * draining, one the stop waits for is counted by how (drain_idle,
 * drain_gone, drain_failed; one the reaper cut is counted already), a late
 * one as refused, so that the stop accounts for each request it waited for.
 * A connection that closes with its request begun and not ended so is
 * counted as given up by its client. */
void guard_request_ended(guard *g, struct MHD_Connection *c, guard_end how);

bool guard_reserve(guard *g, size_t bytes);
void guard_release(guard *g, size_t bytes);
/* The body budget for a request on c: within c's address's share too.
 * GUARD_TAKEN, or what stopped it (counted as a budget refusal). */
typedef enum { GUARD_TAKEN, GUARD_SPENT, GUARD_SHARE_SPENT } guard_take;
guard_take guard_reserve_from(guard *g, struct MHD_Connection *c, size_t bytes);
void guard_release_from(guard *g, struct MHD_Connection *c, size_t bytes);
/* The answer budget: false (counted as a refusal) when an answer of `bytes`
 * does not fit; answers of at most GUARD_ANSWER_FREE_BYTES always fit and
 * hold nothing.  guard_release_answer takes what guard_answer_bytes said. */
bool guard_reserve_answer(guard *g, size_t bytes);
size_t guard_answer_bytes(size_t bytes);
void guard_release_answer(guard *g, size_t bytes);
/* The answer budget for an answer on c: within c's address's share (half
 * the budget, but one answer for an address that holds none) too. */
guard_take guard_reserve_answer_from(guard *g, struct MHD_Connection *c, size_t bytes);
void guard_release_answer_from(guard *g, struct MHD_Connection *c, size_t bytes);

#endif
