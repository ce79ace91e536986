/*
 * platform: the serverless platform as data. A JSON preset (emu/platforms/<name>.json) gives
 * the function limits (memory grid, vCPU share, timeout, payloads, /tmp, concurrency), start
 * latencies, prices and billing rules, the object store's latency, bandwidth, request-rate
 * limits and request prices, and the VM instance types of the baseline. Every number in a
 * preset is an object {"value", "unit", "source"}; a preset without a source, with a wrong
 * unit or type, or with inconsistent ranges is rejected naming the file and the key.
 * struct platform is plain caller storage (no pointers): copy it freely, nothing to free.
 */
#ifndef SIREN_PLATFORM_H
#define SIREN_PLATFORM_H

#include <stddef.h>

#include "core.h"

#define PLATFORM_MAX_VMS 16
#define PLATFORM_MAX_NET 16

/* Where functions exchange parameters and gradients (`--channel`). The training data always
 * comes from the object store; the channel carries everything else. */
enum channel_kind {
    CHANNEL_S3 = 0,    /* the object store itself (request fees) */
    CHANNEL_REDIS,     /* ElastiCache for Redis: a node billed by the hour */
    CHANNEL_MEMCACHED, /* ElastiCache for Memcached: a node billed by the hour */
    CHANNEL_DYNAMODB,  /* DynamoDB on demand: request units, items of at most 400 KB */
    CHANNEL_VM_PS,     /* a parameter server on an EC2 instance billed by the second */
    CHANNEL_COUNT
};

/* A channel's model. Latencies are medians and 95th percentiles of one small request. */
struct channel {
    enum channel_kind kind;
    char name[16];     /* as --channel takes it */
    double get_ms, get_p95_ms, put_ms, put_p95_ms;
    double mb_per_s;   /* one connection of one function, before the function's own cap */
    double node_mb_per_s; /* shared by every function at once (a node's or instance's
                             network); 0: no shared cap */
    double usd_per_1000_get, usd_per_1000_put; /* per request (S3) */
    double usd_per_million_reads, usd_per_million_writes; /* per request unit (DynamoDB) */
    double read_unit_bytes, write_unit_bytes;   /* bytes per request unit (DynamoDB) */
    double item_max_bytes; /* a larger value is split into several items (0: no limit) */
    double usd_per_hour;   /* a node or instance, billed while the job runs (0: none) */
    char node[32];         /* the node type or instance name */
};

/* A VM type of the baseline cluster. */
struct vm_instance {
    char name[32];
    int vcpus;
    double memory_gib;
    double network_gbit_s;
    double price_usd_per_hour;
    double s3_mb_per_s; /* S3 download throughput into the instance, MB = 10^6 bytes */
};

struct platform {
    char name[64];
    char path[1024]; /* the preset file it was loaded from */

    /* Functions. Valid memory sizes: memory_mb_min + k * memory_mb_step <= memory_mb_max. */
    int memory_mb_min, memory_mb_max, memory_mb_step;
    double vcpu_full_at_mb; /* memory size that gets one full vCPU; the share is linear in MB */
    double vcpu_max;        /* cap on the vCPU share */
    double timeout_s;
    long long payload_sync_bytes;  /* request and response of a synchronous invoke */
    long long payload_async_bytes; /* event of an asynchronous invoke */
    int tmp_mb_default, tmp_mb_max;
    int concurrency_limit;        /* concurrent executions per account and region */
    int concurrency_burst;        /* environments available at once from zero */
    int concurrency_scale_step;   /* environments added per interval after the burst */
    double concurrency_scale_interval_s;
    /* Start latencies: medians and 95th percentiles. A cold start is the runtime's
     * (cold_start_ms) plus cold_ms_per_package_mb for each MB of the deployment package. */
    double cold_start_ms, cold_start_p95_ms, cold_ms_per_package_mb;
    double warm_start_ms, warm_start_p95_ms;
    double package_mb;       /* siren's deployment package */
    double invoke_per_s;     /* Invoke calls one driver sends per second */
    double driver_step_ms;   /* the driver between two epochs: collect, evaluate, decide */
    /* A function's network throughput against its memory size: n_net points (MB, MB/s),
     * ascending; linear between points, flat outside. */
    int n_net;
    double net_memory_mb[PLATFORM_MAX_NET], net_mb_per_s[PLATFORM_MAX_NET];

    /* Billing of functions. */
    double price_usd_per_gb_s;    /* GB = 1,024 MB, as AWS bills */
    double price_usd_per_request;
    double billing_granularity_ms; /* durations are rounded up to a multiple of this */
    int init_billed;               /* start-up (init) time is part of the billed duration */

    /* Object store (S3). MB = 10^6 bytes. */
    double store_first_byte_ms; /* the median GET latency (get_ms) */
    double store_get_p95_ms, store_put_ms, store_put_p95_ms;
    double store_mb_per_s_per_connection;
    double store_puts_per_s_per_prefix;
    double store_gets_per_s_per_prefix;
    double store_usd_per_1000_get, store_usd_per_1000_put, store_usd_per_1000_list;
    int store_connections_per_function; /* requests a function keeps in flight at once */
    double store_range_get_bytes;       /* a ranged GET of a data share, at most */

    /* VM baseline: per-second billing with a minimum, from the launch request on. */
    double vm_billing_granularity_s;
    double vm_billing_min_s;
    double vm_boot_s; /* launch request to an instance that accepts SSH (mpirun can start) */
    size_t n_vms;
    struct vm_instance vms[PLATFORM_MAX_VMS];

    /* The channels, by kind (CHANNEL_S3 is the object store above). */
    struct channel channels[CHANNEL_COUNT];
};

/* Loads a preset. name_or_path is a preset name ("lambda-2019": $SIREN_PLATFORM_DIR when set,
 * else emu/platforms in the source tree, core_source_root()) or a path to a JSON file
 * (contains '/' or ends in ".json"). Errors: SIREN_ENOTFOUND (no such preset: the message
 * lists the directory), SIREN_ERANGE (the source tree's path does not fit),
 * SIREN_EFORMAT ("lambda-2019.json: key 'memory_mb.max': missing", a wrong type or unit, a
 * number without its source, min > max), SIREN_EIO. *out is written only on success. */
int platform_load(const char *name_or_path, struct platform *out, struct err *e) SIREN_WUR;

/* The directory presets are found in by name: $SIREN_PLATFORM_DIR when set and not empty,
 * else emu/platforms in the source tree (core_source_path), as platform_load looks. Written
 * into buf (len bytes). Errors: SIREN_ERANGE (the path does not fit). */
int platform_dir(char *buf, size_t len, struct err *e) SIREN_WUR;
/* The file platform_load reads for name_or_path: a path as given (it contains '/' or ends in
 * ".json"; not checked to exist), else "<platform_dir()>/<name>.json". Written into buf.
 * Errors: SIREN_EINVAL (empty name), SIREN_ERANGE (does not fit), SIREN_ENOTFOUND (no preset
 * of that name: the message names the file looked for and the directory). */
int platform_preset_path(const char *name_or_path, char *buf, size_t len,
                         struct err *e) SIREN_WUR;

/* The valid memory size for a request of memory_mb: clamped to [min, max], then rounded UP to
 * the grid (a function gets at least what was asked, where the platform allows it). */
int platform_memory_clip_mb(const struct platform *p, double memory_mb);
/* 1 if memory_mb is on the grid and in range. */
int platform_memory_valid(const struct platform *p, int memory_mb);
/* The vCPU share of a function of memory_mb: memory_mb / vcpu_full_at_mb, at most vcpu_max. */
double platform_vcpu_share(const struct platform *p, int memory_mb);
/* Billed duration in ms of a run of duration_ms after init_ms of start-up: (duration_ms, plus
 * init_ms where init is billed) rounded UP to the billing granularity, at least one unit. */
double platform_billed_ms(const struct platform *p, double duration_ms, double init_ms);
/* Cost in USD of one invocation: billed seconds x memory in GB x price per GB-s + the request
 * fee. */
double platform_invocation_cost_usd(const struct platform *p, int memory_mb, double duration_ms,
                                    double init_ms);
/* A function's network throughput in MB/s at memory_mb (the preset's points, interpolated). */
double platform_network_mb_per_s(const struct platform *p, int memory_mb);
/* Median cold start in ms of siren's package: the runtime's plus its package size's share. */
double platform_cold_start_ms(const struct platform *p);
/* Time in ms of one object-store transfer of bytes on one connection by a function of
 * memory_mb: median GET latency + bytes / the lower of the per-connection and the function's
 * bandwidths. */
double platform_store_transfer_ms(const struct platform *p, int memory_mb, double bytes);
/* The channel called name ("s3", "redis", "memcached", "dynamodb", "vm-ps"), or NULL. */
const struct channel *platform_channel_find(const struct platform *p, const char *name);
/* The VM type called name, or NULL. Borrowed from p. */
const struct vm_instance *platform_vm_find(const struct platform *p, const char *name);
/* Time in s to copy bytes from the object store onto one instance of vm before training:
 * first-byte latency + bytes / the instance's measured S3 throughput. */
double platform_vm_staging_s(const struct platform *p, const struct vm_instance *vm,
                             double bytes);
/* Cost in USD of count instances of vm for seconds each: per-second billing (seconds rounded
 * up to the granularity), at least the minimum billed time. */
double platform_vm_cost_usd(const struct platform *p, const struct vm_instance *vm, int count,
                            double seconds);

#endif
