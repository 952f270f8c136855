package io.pikemix.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.pikemix.format.DatasetInfo;
import io.pikemix.mixer.DomainRows;
import io.pikemix.mixer.Mixer;
import io.pikemix.service.MixerServer;
import io.pikemix.service.client.MixerClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code pike mixer serve}: options to a service configuration, refusals as one error line with status 2. */
class MixerCommandTest {
    @TempDir
    Path dir;

    private Path dataset() throws Exception {
        var tok = new DatasetInfo.TokenizerInfo("bpe-1024", "bpe:1024", "00", 1024, 0, null);
        var domains = List.of(domain("news", 40, 25), domain("forum", 33), domain("wiki", 10, 10, 10));
        var info = new DatasetInfo(DatasetInfo.FORMAT_VERSION, "test", "spec.yaml", tok, 32, 33, 0, 0, domains);
        Path d = dir.resolve("data");
        Files.createDirectories(d);
        Files.write(d.resolve(DatasetInfo.FILE_NAME), info.toJson());
        return d;
    }

    private static DatasetInfo.DomainInfo domain(String name, long... rows) {
        var shards = new java.util.ArrayList<DatasetInfo.ShardInfo>();
        long total = 0;
        for (int s = 0; s < rows.length; s++) {
            shards.add(new DatasetInfo.ShardInfo(String.format("%s/train/part-%05d.parquet", name, s), rows[s], total));
            total += rows[s];
        }
        var train = new DatasetInfo.SplitInfo(total, total * 33, total, 0, shards);
        var val = new DatasetInfo.SplitInfo(0, 0, 0, 0, List.of());
        return new DatasetInfo.DomainInfo(name, null, 1, 1, Map.of(), Map.of("train", train, "val", val));
    }

    @Test
    void serve_manifestsEqualTheInProcessMixerOfTheSameOptions() throws Exception {
        Path data = dataset();
        var serve = CommandLine.populateCommand(
                new MixerCommand.Serve(),
                "--dataset",
                data.toString(),
                "--state",
                dir.resolve("state").toString(),
                "--port",
                "0",
                "--batch",
                "12",
                "--update-interval",
                "3",
                "--workers",
                "2");
        var config = serve.config();
        var local = new Mixer(config.mix(), config.strategy());
        assertEquals(DomainRows.training(DatasetInfo.read(data)), config.mix().domains());
        try (var server = MixerServer.start(config)) {
            var client = MixerClient.connect(server.url(), null);
            var first = local.next();
            assertEquals(first.share(1, 2), client.manifest(0, 1, 2).manifest());
            assertTrue(client.manifest(0, 0, 2).wantsStatistics(), "pike wants statistics at t mod 3 = 0");
            assertEquals("pike", client.weights().strategy());
        }
    }

    @Test
    void serve_nonLoopbackWithoutToken_isOneErrorLine() throws Exception {
        var r = WeightsCommandTest.run(
                "mixer",
                "serve",
                "--dataset",
                dataset().toString(),
                "--state",
                dir.resolve("s").toString(),
                "--host",
                "0.0.0.0",
                "--port",
                "0");
        assertEquals(2, r.status());
        assertTrue(r.err().startsWith("error: --host 0.0.0.0 is not a loopback address"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }

    @Test
    void serve_badOptions_areErrorsWithStatus2() throws Exception {
        String data = dataset().toString(), state = dir.resolve("s").toString();
        var unknown =
                WeightsCommandTest.run("mixer", "serve", "--dataset", data, "--state", state, "--strategy", "best");
        assertEquals(2, unknown.status());
        assertTrue(unknown.err().contains("unknown strategy 'best'"), unknown.err());
        var prior = WeightsCommandTest.run("mixer", "serve", "--dataset", data, "--state", state, "--prior", "1,2");
        assertEquals(2, prior.status());
        assertTrue(prior.err().contains("--prior has 2 entries but the dataset has 3 domains"), prior.err());
        var noData = WeightsCommandTest.run(
                "mixer", "serve", "--dataset", dir.resolve("none").toString(), "--state", state);
        assertEquals(2, noData.status());
        assertTrue(noData.err().contains("is not a dataset"), noData.err());
    }
}
