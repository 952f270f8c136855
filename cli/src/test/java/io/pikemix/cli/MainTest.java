package io.pikemix.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** User mistakes give one clear line on stderr and exit status 2, never a stack trace. */
class MainTest {
    @TempDir
    Path dir;

    record Result(int status, String out, String err) {}

    static synchronized Result run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int status = Main.run(args);
            return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    static void assertOneLineError(Result r, String expected) {
        assertEquals(2, r.status(), r.err());
        String[] lines = r.err().strip().split("\n");
        assertEquals(1, lines.length, "one line on stderr, got:\n" + r.err());
        assertTrue(lines[0].startsWith("error: "), lines[0]);
        assertTrue(lines[0].contains(expected), lines[0]);
        assertFalse(r.err().contains("\tat "), "no stack trace");
    }

    @Test
    void help_listsTheCommands() {
        Result r = run("--help");
        assertEquals(0, r.status());
        for (String c : new String[] {"etl", "tokenizer", "inspect", "weights"})
            assertTrue(r.out().contains(c), c);
        assertEquals(0, run("etl", "--help").status());
        assertEquals(0, run("tokenizer", "train", "--help").status());
        assertEquals(0, run("inspect", "--help").status());
    }

    @Test
    void unknownOption_isOneLine() {
        assertOneLineError(run("etl", "--bogus"), "Unknown option: '--bogus'");
    }

    @Test
    void missingSpec_isOneLine() {
        assertOneLineError(run("etl", "--spec", dir.resolve("absent.yaml").toString()), "corpus spec not found");
    }

    @Test
    void badSpec_namesKeyAndFile() throws Exception {
        Path spec = dir.resolve("bad.yaml");
        Files.writeString(spec, "domains:\n  - {name: a, format: text, paths: [x], colour: red}\n");
        assertOneLineError(run("etl", "--spec", spec.toString()), "unknown key 'domains[0].colour'");
        assertOneLineError(run("etl", "--spec", spec.toString()), spec.toString());
    }

    @Test
    void inspect_notADataset_isOneLine() throws Exception {
        assertOneLineError(run("inspect", dir.resolve("nothing").toString()), "not a directory");
        assertOneLineError(run("inspect", dir.toString()), "is not a dataset: no dataset.json");
    }

    @Test
    void tokenizerTrain_badVocab_isOneLine() {
        assertOneLineError(
                run(
                        "tokenizer",
                        "train",
                        "--vocab-size",
                        "5",
                        "--out",
                        dir.resolve("t.json").toString()),
                "--vocab-size must be in [257, 1048576], got 5");
    }
}
