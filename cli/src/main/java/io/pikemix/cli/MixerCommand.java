package io.pikemix.cli;

import io.pikemix.format.Checks;
import io.pikemix.format.DatasetInfo;
import io.pikemix.mixer.DomainRows;
import io.pikemix.mixer.MixConfig;
import io.pikemix.mixer.PikeParams;
import io.pikemix.mixer.Rounding;
import io.pikemix.mixer.Strategies;
import io.pikemix.mixer.Strategy;
import io.pikemix.service.MixerServer;
import io.pikemix.service.ServiceConfig;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code pike mixer serve}: the mixer as a durable HTTP/JSON service (see service/README.md). */
@Command(
        name = "mixer",
        mixinStandardHelpOptions = true,
        subcommands = MixerCommand.Serve.class,
        description = "The mixer as a network service any trainer can use.")
public final class MixerCommand {

    @Command(
            name = "serve",
            mixinStandardHelpOptions = true,
            description = {
                "Serve manifests, token batches and PiKE weight updates over HTTP/JSON (OpenAPI at /openapi.json).",
                "Every accepted report and weight change is fsynced to STATE/events.jsonl; a restart on the same --state resumes exactly."
            })
    public static final class Serve implements Callable<Integer> {
        @Mixin
        PikeOptions pikeOptions;

        @Mixin
        ShardCacheOption shardCache;

        @Option(
                names = "--dataset",
                required = true,
                paramLabel = "URI",
                description =
                        "ETL output (dataset.json and shards): a directory or a Hadoop URI (hdfs://, s3a://, file://).")
        String dataset;

        @Option(
                names = "--state",
                required = true,
                paramLabel = "DIR",
                description = "Event log and settings of this run (created if missing).")
        Path state;

        @Option(
                names = "--strategy",
                defaultValue = "pike",
                description = "One of: ${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE}).",
                completionCandidates = StrategyNames.class)
        String strategy;

        @Option(
                names = "--prior",
                split = ",",
                paramLabel = "w1,..,wK",
                description =
                        "Initial weights of the PiKE family, fixed weights of 'static', probabilities of 'random' (default uniform).")
        double[] prior;

        @Option(
                names = "--batch",
                defaultValue = "" + PikeParams.DEFAULT_BATCH,
                description = "Global batch size b (default ${DEFAULT-VALUE}).")
        int batch;

        @Option(
                names = "--seed",
                defaultValue = "1337",
                description = "Seed of every permutation (default ${DEFAULT-VALUE}).")
        long seed;

        @Option(
                names = "--update-interval",
                defaultValue = "" + MixConfig.DEFAULT_UPDATE_INTERVAL,
                description = "T: statistics are wanted at steps with t mod T = 0 (default ${DEFAULT-VALUE}).")
        int updateInterval;

        @Option(
                names = "--rounding",
                defaultValue = "carry",
                description = "carry | per-step (default ${DEFAULT-VALUE}).")
        String rounding;

        @Option(
                names = "--alpha",
                defaultValue = "" + Strategies.DEFAULT_ALPHA,
                description = "Temperature exponent (default ${DEFAULT-VALUE}).")
        double alpha;

        @Option(
                names = "--workers",
                defaultValue = "1",
                description = "n: statistics of workers 0..n-1 are pooled per step (default ${DEFAULT-VALUE}).")
        int workers;

        @Option(
                names = "--host",
                defaultValue = "127.0.0.1",
                description = "Bind address; non-loopback requires --token-file (default ${DEFAULT-VALUE}).")
        String host;

        @Option(
                names = "--port",
                defaultValue = "8600",
                description = "Port; 0 = any free one (default ${DEFAULT-VALUE}).")
        int port;

        @Option(
                names = "--token-file",
                paramLabel = "FILE",
                description = "Bearer token (>= 16 characters) required for every write; enables PUT /v1/weights.")
        Path tokenFile;

        @Option(
                names = "--tls-keystore",
                paramLabel = "FILE",
                description = "Serve HTTPS only, with the key and certificate chain in this PKCS#12 or JKS key store.")
        Path tlsKeyStore;

        @Option(
                names = "--tls-password-env",
                paramLabel = "VAR",
                defaultValue = "PIKE_TLS_PASSWORD",
                description =
                        "Environment variable holding the key store's password, never given on the command line (default ${DEFAULT-VALUE}).")
        String tlsPasswordEnv;

        @Option(
                names = "--max-body",
                defaultValue = "" + ServiceConfig.DEFAULT_MAX_BODY,
                description = "Request body limit in bytes (default ${DEFAULT-VALUE}).")
        int maxBody;

        /** The validated service configuration these options describe. */
        ServiceConfig config() {
            DatasetInfo info = DatasetInfo.read(dataset); // a directory or a Hadoop URI
            var domains = DomainRows.training(info);
            Rounding r = switch (rounding.toLowerCase(Locale.ROOT)) {
                case "carry" -> Rounding.CARRY;
                case "per-step" -> Rounding.PER_STEP;
                default ->
                    throw new io.pikemix.format.UserException(
                            "--rounding must be carry or per-step, got '" + rounding + "'");
            };
            var mix = new MixConfig(domains, batch, seed, r, updateInterval);
            Checks.require(
                    prior == null || prior.length == mix.domainCount(),
                    "--prior has %d entries but the dataset has %d domains (%s)",
                    prior == null ? 0 : prior.length,
                    mix.domainCount(),
                    String.join(", ", mix.names()));
            long[] tokens = info.domains().stream()
                    .mapToLong(d -> d.split("train").tokens())
                    .toArray();
            var options = pikeOptions
                    .options(pikeOptions.strategySpec(strategy))
                    .withPrior(prior)
                    .withAlpha(alpha);
            Strategy s = Strategies.forDataset(mix, tokens, options);
            return new ServiceConfig(
                    mix,
                    s,
                    options.settings(),
                    workers,
                    state,
                    dataset,
                    host,
                    port,
                    tokenFile,
                    maxBody,
                    shardCache.bytes());
        }

        /** HTTPS settings from --tls-keystore and the variable --tls-password-env names, or null for plain HTTP. */
        MixerServer.Tls tls() {
            if (tlsKeyStore == null) return null;
            String password = System.getenv(tlsPasswordEnv);
            if (password == null)
                throw new io.pikemix.format.UserException("--tls-keystore " + tlsKeyStore
                        + " needs its password in the environment variable " + tlsPasswordEnv
                        + ", which is not set (--tls-password-env names another)");
            return new MixerServer.Tls(tlsKeyStore, password);
        }

        @Override
        public Integer call() throws InterruptedException {
            MixerServer.Tls tls = tls();
            MixerServer server = MixerServer.start(config(), tls);
            System.out.println(
                    "pike mixer: serving on " + server.url() + " (state " + state.toAbsolutePath() + "); Ctrl-C stops");
            var stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                server.close();
                stopped.countDown();
            }));
            stopped.await();
            return 0;
        }
    }

    static final class StrategyNames extends java.util.ArrayList<String> {
        StrategyNames() {
            super(Strategies.NAMES);
        }
    }
}
