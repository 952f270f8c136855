package io.pikemix.cli;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A {@code pike} command in a child JVM, for the fault tests: this module's test classpath (every module's classes,
 * Spark, ND4J), the JVM flags Spark needs on Java 17 (taken from this JVM's own), one OpenMP thread, stdout and
 * stderr into files. {@link #kill()} is {@code kill -9} by pid ({@link Process#destroyForcibly()} sends SIGKILL on
 * Linux).
 */
final class Child implements AutoCloseable {
    final Process process;
    final Path out, err;

    private Child(Process process, Path out, Path err) {
        this.process = process;
        this.out = out;
        this.err = err;
    }

    /** {@code pike ARGS} in a new JVM; its output goes to {@code logs/NAME.out} and {@code logs/NAME.err}. */
    static Child pike(Path logs, String name, String... args) throws IOException {
        return start(logs, name, List.of(), args);
    }

    /**
     * {@code pike ARGS} started through {@code wrapper}, a command that ends with the Java command line as its last
     * arguments (e.g. a shell script that mounts a file system first and runs {@code "$@"}).
     */
    static Child start(Path logs, String name, List<String> wrapper, String... args) throws IOException {
        return start(logs, name, wrapper, java.util.Map.of(), args);
    }

    /** As {@link #start(Path, String, List, String...)}, with extra environment variables. */
    static Child start(Path logs, String name, List<String> wrapper, java.util.Map<String, String> env, String... args)
            throws IOException {
        Files.createDirectories(logs);
        var cmd = new ArrayList<>(wrapper);
        cmd.addAll(javaCommand(logs, args));
        var pb = new ProcessBuilder(cmd)
                .redirectOutput(logs.resolve(name + ".out").toFile())
                .redirectError(logs.resolve(name + ".err").toFile());
        pb.environment().put("OMP_NUM_THREADS", "1");
        pb.environment().putAll(env);
        return new Child(pb.start(), logs.resolve(name + ".out"), logs.resolve(name + ".err"));
    }

    /** java [Spark's --add-opens flags] -Xmx1g @classpath-file io.pikemix.cli.Main ARGS. */
    static List<String> javaCommand(Path logs, String... args) throws IOException {
        var cmd = new ArrayList<String>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments())
            if (a.startsWith("--add-opens") || a.startsWith("-Djdk.reflect")) cmd.add(a);
        cmd.add("-Xmx1g");
        // an argument file: the test classpath is longer than one command-line argument may be
        Path cp = logs.resolve("classpath.args");
        if (!Files.exists(cp))
            Files.writeString(cp, "-cp \"" + System.getProperty("java.class.path") + "\"\n", StandardCharsets.UTF_8);
        cmd.add("@" + cp);
        cmd.add("io.pikemix.cli.Main");
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Waits for the exit (at most {@code seconds}, then SIGKILL and fail) and returns the status. */
    int await(int seconds) throws Exception {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            kill();
            throw new AssertionError("still running after " + seconds + " s; stderr:\n" + err());
        }
        return process.exitValue();
    }

    /** Polls {@code condition} every 2 ms until it holds; fails if the child ends first or after {@code seconds}. */
    void waitUntil(String what, int seconds, BooleanSupplier condition) throws Exception {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (!process.isAlive())
                throw new AssertionError(
                        "ended (status " + process.exitValue() + ") before " + what + "; stderr:\n" + err());
            if (System.nanoTime() > deadline)
                throw new AssertionError("no " + what + " after " + seconds + " s; stderr:\n" + err());
            Thread.sleep(2);
        }
    }

    /** kill -9 by pid; returns once the process is gone. */
    void kill() throws Exception {
        ProcessHandle h = process.toHandle();
        h.destroyForcibly();
        h.onExit().get(30, TimeUnit.SECONDS);
    }

    String out() throws IOException {
        return Files.readString(out, StandardCharsets.UTF_8);
    }

    String err() throws IOException {
        return Files.readString(err, StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws Exception {
        if (process.isAlive()) kill();
    }
}
