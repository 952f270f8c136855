package io.pikemix.service;

import io.pikemix.format.Checks;
import io.pikemix.format.ShardStore;
import io.pikemix.format.UserException;
import io.pikemix.mixer.MixConfig;
import io.pikemix.mixer.Strategy;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;

/**
 * Everything {@code pike mixer serve} configures, validated at construction.
 *
 * @param mix              domains, batch size, seed, rounding, T
 * @param strategy         the mixing strategy (its initial weights start the run)
 * @param strategySettings the strategy's hyperparameters as text, recorded in STATE/service.json so a restart with
 *                         other settings is refused
 * @param workers          n: reports of workers 0..n-1 are pooled per step
 * @param stateDir         event log and service.json
 * @param dataset          dataset for {@code /v1/batch} (dataset.json and shards): a local directory or a Hadoop
 *                         FileSystem URI (hdfs://, s3a://, file://), or null (then /v1/batch answers 404)
 * @param host             bind address; anything but loopback requires {@code tokenFile}
 * @param port             0 = an ephemeral port
 * @param tokenFile        file holding the bearer token (≥ 16 characters), or null
 * @param maxBodyBytes     request bodies above this are refused with 413
 * @param shardCacheBytes  bound on the decoded shards kept in memory for /v1/batch ({@code ShardStore})
 */
public record ServiceConfig(
        MixConfig mix,
        Strategy strategy,
        String strategySettings,
        int workers,
        Path stateDir,
        String dataset,
        String host,
        int port,
        Path tokenFile,
        int maxBodyBytes,
        long shardCacheBytes) {
    public static final int DEFAULT_MAX_BODY = 64 * 1024;
    public static final long DEFAULT_SHARD_CACHE = ShardStore.DEFAULT_CACHE_MB << 20;

    public ServiceConfig {
        Checks.require(
                mix != null && strategy != null && stateDir != null, "mix config, strategy and --state are required");
        Checks.require(workers >= 1 && workers <= 65536, "--workers must be in [1, 65536], got %d", workers);
        Checks.require(port >= 0 && port <= 65535, "--port must be in [0, 65535], got %d", port);
        Checks.require(maxBodyBytes >= 1024, "--max-body must be >= 1024 bytes, got %d", maxBodyBytes);
        Checks.require(shardCacheBytes > 0, "--shard-cache-mb must be > 0");
        Checks.require(
                tokenFile != null || isLoopback(host),
                "--host %s is not a loopback address: binding beyond this machine requires --token-file (a bearer token for every write)",
                host);
    }

    static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            throw new UserException("--host " + host + " does not resolve");
        }
    }
}
