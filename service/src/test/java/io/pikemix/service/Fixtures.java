package io.pikemix.service;

import io.pikemix.mixer.ConceptualParams;
import io.pikemix.mixer.DomainRows;
import io.pikemix.mixer.GradientStats;
import io.pikemix.mixer.GradientStatsAccumulator;
import io.pikemix.mixer.MixConfig;
import io.pikemix.mixer.PikeParams;
import io.pikemix.mixer.Rounding;
import io.pikemix.mixer.Strategies;
import io.pikemix.mixer.Strategy;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

/** A small three-domain run, random gradient statistics, and a raw HTTP helper for the service tests. */
final class Fixtures {
    private Fixtures() {}

    static final String TOKEN = "test-token-0123456789abcdef";

    static MixConfig mix(int updateInterval) {
        return new MixConfig(
                List.of(
                        new DomainRows("web", new long[] {100, 57}),
                        new DomainRows("code", new long[] {70}),
                        new DomainRows("books", new long[] {30, 30, 31})),
                16,
                1337,
                Rounding.CARRY,
                updateInterval);
    }

    static Strategy pike(MixConfig mix) {
        // large ζ so that a handful of steps visibly moves the weights
        return Strategies.byName(
                "pike",
                mix.domainCount(),
                null,
                null,
                Strategies.DEFAULT_ALPHA,
                new PikeParams(0.5, 0.5, mix.batchSize(), 3, 1e-6),
                ConceptualParams.defaults(mix.batchSize()),
                mix.seed());
    }

    static ServiceConfig service(MixConfig mix, Strategy strategy, int workers, Path state, Path tokenFile) {
        return new ServiceConfig(
                mix,
                strategy,
                "zeta1=0.5 zeta2=0.5",
                workers,
                state,
                null,
                "127.0.0.1",
                0,
                tokenFile,
                4096,
                ServiceConfig.DEFAULT_SHARD_CACHE);
    }

    static Path tokenFile(Path dir) throws IOException {
        Path f = dir.resolve("token");
        Files.writeString(f, TOKEN + "\n");
        return f;
    }

    /** Statistics of 3 domains, m = 2..4 micro-batches of 4 sequences, from Gaussian gradients with per-domain signal. */
    static GradientStats randomStats(SplittableRandom rnd) {
        int K = 3, d = 50;
        var grads = new double[K][][];
        for (int k = 0; k < K; k++) {
            int m = 2 + rnd.nextInt(3);
            grads[k] = new double[m][d];
            for (int i = 0; i < m; i++)
                for (int j = 0; j < d; j++) grads[k][i][j] = (k + 1) * 0.3 + rnd.nextGaussian() * (0.5 + k);
        }
        double[] loss = {3 + rnd.nextDouble(), 2 + rnd.nextDouble(), 4 + rnd.nextDouble()};
        return GradientStatsAccumulator.estimate(grads, new int[] {4, 4, 4}, loss);
    }

    /** The report a worker posts for {@code g} (step and worker do not matter for pooling). */
    static StatsReport report(GradientStats g) {
        long[] seqs = g.sequences();
        return new StatsReport(
                0, 0, 1, g.microBatches(), seqs, g.gradNormSq(), g.meanGradNormSq(), g.gradVar(), g.loss());
    }

    record Response(int status, String body) {}

    static final HttpClient HTTP = HttpClient.newHttpClient();

    static Response request(String url, String method, String body, String token) throws Exception {
        var b = HttpRequest.newBuilder(URI.create(url))
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) b.header("Authorization", "Bearer " + token);
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Response(r.statusCode(), r.body());
    }
}
