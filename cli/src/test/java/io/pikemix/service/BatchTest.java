package io.pikemix.service;

import static org.junit.jupiter.api.Assertions.*;

import io.pikemix.etl.CorpusSpecs;
import io.pikemix.etl.EtlConfig;
import io.pikemix.etl.EtlJob;
import io.pikemix.etl.LocalFileSystem;
import io.pikemix.format.DatasetInfo;
import io.pikemix.format.ShardReader;
import io.pikemix.mixer.ConceptualParams;
import io.pikemix.mixer.DomainRows;
import io.pikemix.mixer.MixConfig;
import io.pikemix.mixer.PikeParams;
import io.pikemix.mixer.Rounding;
import io.pikemix.mixer.StepManifest;
import io.pikemix.mixer.Strategies;
import io.pikemix.mixer.Strategy;
import io.pikemix.service.client.MixerClient;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * /v1/batch against a real dataset written by the ETL: every token row equals the Parquet row the manifest names.
 * In cli's tests because it runs the ETL (Spark), which the service module does not depend on.
 */
@Tag("spark")
class BatchTest {
    @TempDir
    static Path dir;

    static DatasetInfo dataset;

    @BeforeAll
    static void etl() throws Exception {
        Path corpus = Files.createDirectories(dir.resolve("corpus"));
        for (String d : List.of("a", "b")) {
            var sb = new StringBuilder();
            for (int i = 0; i < 120; i++)
                sb.append("{\"text\": \"Domain ")
                        .append(d)
                        .append(", document ")
                        .append(i)
                        .append(": the tide came in over the northern harbour wall before noon.\"}\n");
            Files.writeString(corpus.resolve(d + ".jsonl"), sb);
        }
        Path spec = dir.resolve("spec.yaml");
        Files.writeString(
                spec,
                "tokenizer: cl100k_base\ncontext: 15\nval_fraction: 0.1\ndomains:\n"
                        + "  - {name: a, format: jsonl, paths: [corpus/a.jsonl]}\n  - {name: b, format: jsonl, paths: [corpus/b.jsonl]}\n");
        SparkSession spark = SparkSession.builder()
                .master("local[1]")
                .appName("BatchTest")
                .config("spark.ui.enabled", "false")
                .config("spark.hadoop." + LocalFileSystem.KEY, LocalFileSystem.class.getName())
                .getOrCreate();
        try {
            dataset = new EtlJob(
                            spark,
                            new EtlConfig(
                                    CorpusSpecs.load(spec), dir.resolve("data").toString(), false, 0),
                            new PrintStream(new ByteArrayOutputStream()))
                    .run();
        } finally {
            spark.stop();
        }
    }

    @Test
    void batchRows_equalTheParquetRowsOfTheManifest() throws Exception {
        List<DomainRows> rows = DomainRows.training(dataset);
        var mix = new MixConfig(rows, 8, 7, Rounding.CARRY, 1000);
        Strategy strategy = Strategies.byName(
                "mix",
                rows.size(),
                null,
                null,
                Strategies.DEFAULT_ALPHA,
                PikeParams.defaults(8),
                ConceptualParams.defaults(8),
                7);
        var config = new ServiceConfig(
                mix,
                strategy,
                "",
                1,
                dir.resolve("state"),
                dir.resolve("data").toString(),
                "127.0.0.1",
                0,
                null,
                ServiceConfig.DEFAULT_MAX_BODY,
                ServiceConfig.DEFAULT_SHARD_CACHE);
        try (var server = MixerServer.start(config)) {
            var client = new MixerClient(URI.create(server.url()), null, Duration.ofSeconds(5), Duration.ofSeconds(2));
            int checked = 0;
            for (long t = 0; t < 6; t++) {
                StepManifest m = client.manifest(t, 0, 1).manifest();
                MixerClient.Batch b = client.batch(t, 0, 1);
                assertEquals(dataset.rowLength(), b.rowLength());
                assertEquals(m.size(), b.rows());
                for (int j = 0; j < m.size(); j++) {
                    var domain = dataset.domains().get(m.domain()[j]);
                    var shard = domain.split("train").shards().get(m.shard()[j]);
                    var expected = ShardReader.read(
                                    dir.resolve("data").resolve(shard.path()).toString(), -1)
                            .get((int) m.shardRow()[j]);
                    assertEquals(m.domain()[j], b.domain()[j]);
                    assertArrayEquals(expected.tokens(), b.row(j), "step " + t + " row " + j);
                    checked++;
                }
            }
            assertEquals(48, checked);
        }
    }
}
