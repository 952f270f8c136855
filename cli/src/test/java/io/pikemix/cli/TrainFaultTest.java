package io.pikemix.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import io.pikemix.training.Checkpoint;
import io.pikemix.training.RunFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pike train} (one thread) under faults, in child JVMs on the tiny two-domain corpus of
 * {@link CompareCommandTest}: killed with SIGKILL between checkpoints and resumed, and run out of disk space while
 * writing a checkpoint (a small tmpfs mounted in a private mount namespace). Either way the resumed run's losses,
 * weights and manifests equal the uninterrupted run's.
 */
@Tag("spark")
class TrainFaultTest {
    @TempDir
    static Path dir;

    static Path data;

    @BeforeAll
    static void etl() throws Exception {
        Path spec = CompareCommandTest.tinyCorpus(dir.resolve("corpus"));
        data = dir.resolve("data");
        MainTest.Result etl = MainTest.run("etl", "--spec", spec.toString(), "--out", data.toString());
        assertEquals(0, etl.status(), etl.err());
    }

    static String[] train(Path run, int steps, int width, int checkpointEvery) {
        return new String[] {
            "train",
            "--dataset",
            data.toString(),
            "--out",
            run.toString(),
            "--strategy",
            "pike",
            "--steps",
            Integer.toString(steps),
            "--batch",
            "8",
            "--layers",
            "1",
            "--heads",
            "2",
            "--width",
            Integer.toString(width),
            "--update-interval",
            "2",
            "--eval-every",
            "20",
            "--val-rows",
            "4",
            "--checkpoint-every",
            Integer.toString(checkpointEvery),
            "--log-every",
            "1000"
        };
    }

    /*
     * SIGKILL once the run has logged 50 of its 120 steps (checkpoints every 40): the resumed run (from step 40 or
     * 80) has every step once, with the uninterrupted run's losses, weights and manifests, bit for bit. A torn last
     * manifest line (what a kill leaves when a line longer than the writer's 8 KB buffer is cut mid-write) is
     * dropped on resume.
     */
    @Test
    void trainKilledBetweenCheckpoints_resumeEqualsTheUninterruptedRun() throws Exception {
        Path logs = dir.resolve("logs-kill"), full = dir.resolve("full"), killed = dir.resolve("killed");
        try (Child c = Child.pike(logs, "full", train(full, 120, 16, 40))) {
            assertEquals(0, c.await(120), c.err());
        }
        try (Child c = Child.pike(logs, "killed", train(killed, 120, 16, 40))) {
            Path metrics = killed.resolve(RunFiles.METRICS);
            c.waitUntil("50 steps", 120, () -> lines(metrics) >= 50);
            c.kill();
        }
        int logged = lines(killed.resolve(RunFiles.METRICS));
        assertTrue(logged < 120, "the run ended before the kill");
        assertTrue(Checkpoint.latest(killed).isPresent(), "no checkpoint before the kill");
        Files.writeString(
                killed.resolve(RunFiles.MANIFEST),
                "{\"step\":" + logged + ",\"weights\":[0.5,0.5],\"counts\":[4,4],\"rows\":[[0,0,1",
                StandardCharsets.UTF_8,
                java.nio.file.StandardOpenOption.APPEND);
        try (Child c = Child.pike(logs, "resume", "train", "--resume", killed.toString())) {
            assertEquals(0, c.await(120), c.err());
        }
        assertSameRun(full, killed, 120);
    }

    /*
     * The run directory on a tmpfs with room for one checkpoint and a half (checkpoints every 10 of 30 steps, kept 2):
     * the second checkpoint fills the disk. pike train stops with one line naming the checkpoint and the newest complete
     * one, leaves no half-written checkpoint, and the step-10 checkpoint is intact: resumed elsewhere, the run equals
     * the uninterrupted one.
     */
    @Test
    void diskFullDuringACheckpoint_leavesThePreviousOneIntact_andTheRunResumes() throws Exception {
        Path logs = dir.resolve("logs-full");
        List<String> wrapper = TmpfsWrapper.wrapper(dir.resolve("tmpfs"));
        Path full = dir.resolve("full-64");
        try (Child c = Child.pike(logs, "full", train(full, 30, 64, 10))) {
            assertEquals(0, c.await(120), c.err());
        }
        long checkpoint = TmpfsWrapper.size(Checkpoint.latest(full).orElseThrow());
        long size = (checkpoint * 3 / 2 + 65536) / 4096 * 4096;
        Path mount = dir.resolve("mnt"), copy = dir.resolve("copy");
        Files.createDirectories(mount);
        Files.createDirectories(copy);
        var cmd = new ArrayList<>(wrapper);
        cmd.addAll(List.of(Long.toString(size), mount.toString(), copy.toString()));
        try (Child c = Child.start(logs, "disk-full", cmd, train(mount.resolve("run"), 30, 64, 10))) {
            int status = c.await(120);
            String err = c.err().strip(), last = err.substring(err.lastIndexOf('\n') + 1);
            assertEquals(1, status, err);
            assertTrue(last.startsWith("error: disk full: could not write checkpoint "), err);
            assertTrue(last.contains("step-00000020") && last.contains("the newest complete one is "), err);
            assertTrue(last.endsWith("step-00000010; free space (or write elsewhere) and run the command again"), err);
            assertFalse(err.contains("\tat ") || err.contains("internal error"), "no stack trace:\n" + err);
        }
        Path run = copy.resolve("run");
        try (Stream<Path> s = Files.list(run.resolve("checkpoints"))) {
            assertEquals(
                    List.of("step-00000010"),
                    s.map(p -> p.getFileName().toString()).sorted().toList(),
                    "the complete checkpoint only, no half-written one");
        }
        assertEquals(
                10, Checkpoint.read(run.resolve("checkpoints/step-00000010")).step());
        try (Child c = Child.pike(logs, "resume", "train", "--resume", run.toString())) {
            assertEquals(0, c.await(120), c.err());
        }
        assertSameRun(full, run, 30);
    }

    /** Same losses, weights and manifests, bit for bit; every step once. */
    static void assertSameRun(Path expected, Path actual, int steps) {
        List<JsonNode> a = RunFiles.read(expected.resolve(RunFiles.METRICS)),
                b = RunFiles.read(actual.resolve(RunFiles.METRICS));
        assertEquals(steps, b.size(), "steps in the resumed run");
        for (int s = 0; s < steps; s++) {
            assertEquals(s, b.get(s).get("step").asLong());
            assertEquals(a.get(s).get("loss").asDouble(), b.get(s).get("loss").asDouble(), 0, "loss at step " + s);
            assertEquals(a.get(s).get("weights"), b.get(s).get("weights"), "weights at step " + s);
        }
        assertEquals(
                RunFiles.read(expected.resolve(RunFiles.MANIFEST)), RunFiles.read(actual.resolve(RunFiles.MANIFEST)));
        assertEquals(RunFiles.read(expected.resolve(RunFiles.STATS)), RunFiles.read(actual.resolve(RunFiles.STATS)));
        assertEquals(
                RunFiles.read(expected.resolve(RunFiles.WEIGHTS)), RunFiles.read(actual.resolve(RunFiles.WEIGHTS)));
    }

    static int lines(Path file) {
        try {
            if (!Files.exists(file)) return 0;
            return (int) Files.readAllLines(file).stream()
                    .filter(l -> l.endsWith("}"))
                    .count();
        } catch (java.io.IOException e) {
            return 0;
        }
    }

    /** A small tmpfs in a private mount namespace (unshare), for the disk-full cases. */
    static final class TmpfsWrapper {
        /**
         * unshare --user --map-root-user --mount sh SCRIPT SIZE MOUNT COPY java...: mounts a SIZE-byte tmpfs on MOUNT,
         * runs the command, copies the tmpfs to COPY (it vanishes with the namespace) and exits with the command's
         * status. Aborts the test where this machine cannot mount one.
         */
        static List<String> wrapper(Path work) throws Exception {
            Files.createDirectories(work);
            Path script = work.resolve("tmpfs.sh");
            Files.writeString(script, """
                    size=$1; mnt=$2; copy=$3; shift 3
                    mount -t tmpfs -o size="$size" tmpfs "$mnt" || exit 97
                    "$@"; rc=$?
                    cp -a "$mnt/." "$copy/"
                    exit $rc
                    """);
            var wrapper = List.of("unshare", "--user", "--map-root-user", "--mount", "sh", script.toString());
            Path probe = work.resolve("probe");
            Files.createDirectories(probe);
            var cmd = new ArrayList<>(wrapper);
            Files.createDirectories(work.resolve("probe-copy"));
            cmd.addAll(List.of(
                    "65536", probe.toString(), work.resolve("probe-copy").toString(), "true"));
            int status;
            try {
                status = new ProcessBuilder(cmd)
                        .redirectErrorStream(true)
                        .start()
                        .waitFor();
            } catch (java.io.IOException e) {
                status = -1;
            }
            Assumptions.assumeTrue(
                    status == 0, "cannot mount a tmpfs in a user and mount namespace here (unshare): " + status);
            return wrapper;
        }

        /** Bytes of the files under a directory. */
        static long size(Path d) throws java.io.IOException {
            try (Stream<Path> s = Files.walk(d)) {
                long n = 0;
                for (Path p : s.filter(Files::isRegularFile).toList()) n += Files.size(p);
                return n;
            }
        }
    }
}
