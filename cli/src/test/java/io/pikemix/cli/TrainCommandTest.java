package io.pikemix.cli;

import static io.pikemix.cli.MainTest.assertOneLineError;
import static io.pikemix.cli.MainTest.run;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** train / eval / demo: usage mistakes are one error line with exit status 2. */
class TrainCommandTest {
    @TempDir
    Path dir;

    @Test
    void help_listsTrainEvalDemo() {
        MainTest.Result r = run("--help");
        for (String c : new String[] {"train", "eval", "demo"})
            assertTrue(r.out().contains(c), c);
        assertEquals(0, run("train", "--help").status());
        assertEquals(0, run("eval", "--help").status());
        assertEquals(0, run("demo", "--help").status());
    }

    @Test
    void train_newRunNeedsDataset() {
        assertOneLineError(run("train", "--out", dir.resolve("r").toString()), "--dataset DIR is required");
    }

    @Test
    void train_datasetWithoutDatasetJson() {
        assertOneLineError(
                run(
                        "train",
                        "--dataset",
                        dir.toString(),
                        "--out",
                        dir.resolve("r").toString()),
                "is not a dataset");
    }

    @Test
    void train_outAndResumeAreExclusive() {
        assertEquals(2, run("train", "--out", "a", "--resume", "b").status());
    }

    @Test
    void train_resumeOfANonRun() {
        assertOneLineError(run("train", "--resume", dir.toString()), "is not a run directory");
    }

    @Test
    void train_distributedOptionsAreChecked() {
        String out = dir.resolve("r").toString();
        assertOneLineError(run("train", "--out", out, "--average-every", "2"), "--average-every needs --workers N");
        assertOneLineError(run("train", "--out", out, "--workers", "-1"), "--workers must be >= 0");
        assertOneLineError(
                run("train", "--out", out, "--workers", "2", "--average-every", "0"), "--average-every must be >= 1");
    }

    @Test
    void eval_needsRunOrCompare() {
        assertOneLineError(run("eval"), "exactly one of --run RUN, --compare RUN... or --plots RUN...");
        assertOneLineError(run("eval", "--run", dir.toString()), "is not a run directory");
        assertOneLineError(run("eval", "--compare", dir.toString()), "has no eval.json");
    }
}
