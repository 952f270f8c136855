package io.pikemix.cli;

import io.pikemix.format.UserException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The one entry point: {@code bin/pike <command>}. Maps exceptions to exit codes (STYLE.md §7):
 * 2 for usage or config errors (one line on stderr, no stack trace unless --verbose), 1 for bugs.
 */
@Command(
        name = "pike",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "pike-mix: multi-domain corpus ETL on Spark and LM training with PiKE adaptive data mixing.",
        subcommands = {
            TokenizerCommand.class,
            EtlCommand.class,
            InspectCommand.class,
            WeightsCommand.class,
            TrainCommand.class,
            EvalCommand.class,
            DemoCommand.class,
            CompareCommand.class,
            MixerCommand.class,
        })
public final class Main {
    @Option(
            names = "--verbose",
            scope = CommandLine.ScopeType.INHERIT,
            description = "Show stack traces and debug logs.")
    static boolean verbose;

    public static void main(String[] args) {
        io.pikemix.training.engine.NativeBackend
                .select(); // the fastest nd4j-native build this CPU runs, before ND4J loads
        System.exit(run(args));
    }

    /** Runs the CLI and returns the exit status (used by tests, which must not call System.exit). */
    public static int run(String... args) {
        var cmd = new CommandLine(new Main());
        cmd.setExecutionExceptionHandler(Main::handle);
        cmd.setParameterExceptionHandler((ex, a) -> {
            ex.getCommandLine()
                    .getErr()
                    .println("error: " + ex.getMessage() + " (see '"
                            + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help')");
            if (verbose) ex.printStackTrace(ex.getCommandLine().getErr());
            return 2;
        });
        return cmd.execute(args);
    }

    private static int handle(Exception ex, CommandLine cmd, CommandLine.ParseResult parsed) {
        PrintWriter err = cmd.getErr();
        Throwable user = userCause(ex);
        if (user != null) {
            err.println("error: " + user.getMessage());
            if (verbose) ex.printStackTrace(err);
            err.flush();
            return 2;
        }
        String full = diskFull(ex);
        if (full != null) { // not a bug: one line, status 1, the trace only with --verbose
            err.println("error: disk full: " + full + "; free space (or write elsewhere) and run the command again");
            if (verbose) ex.printStackTrace(err);
            err.flush();
            return 1;
        }
        err.println("internal error: " + ex);
        ex.printStackTrace(err);
        err.flush();
        return 1;
    }

    /** A UserException anywhere in the cause chain (Spark wraps executor-side errors) counts as the user's. */
    static Throwable userCause(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof UserException) return c;
            if (c instanceof NoSuchFileException nsf) return new UserException("no such file: " + nsf.getFile());
            if (c instanceof UncheckedIOException && c.getCause() instanceof NoSuchFileException nsf)
                return new UserException("no such file: " + nsf.getFile());
        }
        return null;
    }

    /**
     * What the outermost one-line message in the cause chain that reports ENOSPC ("No space left on device") says,
     * without exception class names, or null when the disk is not full. Spark passes an executor's exception to the
     * driver as the cause of its (multi-line) SparkException.
     */
    static String diskFull(Throwable t) {
        for (Throwable c = t; c != null && c.getCause() != c; c = c.getCause()) {
            String m = c.getMessage();
            if (m != null && m.contains("No space left on device") && !m.contains("\n"))
                return m.replaceAll("([\\w$]+\\.)+[\\w$]*(Exception|Error): ", "");
        }
        return null;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"pike-mix " + (v == null ? "dev" : v)};
        }
    }
}
