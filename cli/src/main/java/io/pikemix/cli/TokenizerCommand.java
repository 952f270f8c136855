package io.pikemix.cli;

import io.pikemix.etl.CorpusSpec;
import io.pikemix.etl.CorpusSpecs;
import io.pikemix.etl.TokenizerTraining;
import io.pikemix.format.Checks;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code pike tokenizer ...}: tokenizer tools. */
@Command(
        name = "tokenizer",
        mixinStandardHelpOptions = true,
        description = "Tokenizer tools.",
        subcommands = TokenizerCommand.Train.class)
public final class TokenizerCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec self;

    @Override
    public Integer call() {
        self.commandLine().usage(System.err);
        return 2;
    }

    /** {@code pike tokenizer train}: a byte-level BPE trained by a Spark job, saved as HuggingFace tokenizer.json. */
    @Command(
            name = "train",
            mixinStandardHelpOptions = true,
            description =
                    "Train a byte-level BPE tokenizer on a corpus's training split (counting on Spark executors, merges on the driver); writes HuggingFace tokenizer.json.")
    public static final class Train implements Callable<Integer> {
        @Mixin
        SparkOptions spark;

        @Option(
                names = "--spec",
                paramLabel = "FILE",
                description = "Corpus spec YAML (default: the embedded corpus/genres.yaml).")
        Path spec;

        @Option(
                names = "--vocab-size",
                required = true,
                description = "Tokens in the vocabulary, including <|endoftext|> (4096-32768 typical).")
        int vocabSize;

        @Option(names = "--out", required = true, paramLabel = "FILE", description = "Where to write tokenizer.json.")
        Path out;

        @Override
        public Integer call() throws Exception {
            Checks.require(
                    vocabSize >= 257 && vocabSize <= 1 << 20,
                    "--vocab-size must be in [257, 1048576], got %d",
                    vocabSize);
            Path specFile = spec != null ? spec : Defaults.defaultSpec();
            CorpusSpec corpus = CorpusSpecs.load(specFile);
            long t0 = System.nanoTime();
            try (SparkSession session = spark.open("pike-mix tokenizer train")) {
                TokenizerTraining.train(session, corpus, vocabSize, out);
            }
            System.out.printf(
                    Locale.ROOT,
                    "tokenizer with %,d tokens written to %s in %.1f s%n",
                    vocabSize,
                    out,
                    (System.nanoTime() - t0) / 1e9);
            return 0;
        }
    }
}
