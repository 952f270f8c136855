package io.pikemix.cli;

import io.pikemix.etl.CorpusSpec;
import io.pikemix.etl.CorpusSpecs;
import io.pikemix.etl.EtlConfig;
import io.pikemix.etl.EtlJob;
import io.pikemix.format.DatasetInfo;
import io.pikemix.format.DatasetInfo.DomainInfo;
import io.pikemix.format.DatasetInfo.SplitInfo;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code pike etl}: tokenize a corpus and pack it into per-domain Parquet shards. */
@Command(
        name = "etl",
        mixinStandardHelpOptions = true,
        description = {
            "Tokenize a multi-domain corpus and pack it into per-domain Parquet shards (OUT/<domain>/{train,val}/part-*.parquet + OUT/dataset.json).",
            "Without --spec, uses the embedded English multi-genre corpus (corpus/genres.yaml)."
        })
public final class EtlCommand implements Callable<Integer> {
    @Mixin
    SparkOptions spark;

    @Option(
            names = "--spec",
            paramLabel = "FILE",
            description = "Corpus spec YAML (default: the embedded corpus/genres.yaml).")
    Path spec;

    @Option(
            names = "--out",
            paramLabel = "DIR",
            description = "Output dataset directory or Hadoop URI (default: data/<spec name>).")
    String out;

    @Option(names = "--tokenizer", description = "Override the spec: cl100k_base | o200k_base | FILE.json | bpe:N.")
    String tokenizer;

    @Option(names = "--context", description = "Override the spec: tokens per example (rows hold context+1).")
    Integer context;

    @Option(names = "--val-fraction", description = "Override the spec: fraction of documents held out.")
    Double valFraction;

    /** The values of {@code --dedup}. */
    enum Dedup {
        off,
        exact
    }

    @Option(
            names = "--dedup",
            paramLabel = "off|exact",
            description =
                    "Override the spec's top-level 'dedup:': off | exact (drop documents whose whitespace-normalised"
                            + " text repeats an earlier one of their domain). A domain's own 'dedup:' in the spec still wins.")
    Dedup dedup;

    @Option(names = "--overwrite", description = "Replace an existing dataset at --out.")
    boolean overwrite;

    @Option(
            names = "--space-factor",
            paramLabel = "F",
            defaultValue = "" + EtlConfig.DEFAULT_SPACE_FACTOR,
            description = "Refuse to start unless the output file system has F × the input bytes free (default"
                    + " ${DEFAULT-VALUE}: enough for uncompressed text; about 4 for gzip'ed inputs; 0: no check).")
    double spaceFactor;

    @Option(
            names = "--progress-seconds",
            defaultValue = "5",
            description = "Progress line interval (0: none; default ${DEFAULT-VALUE}).")
    double progressSeconds;

    @Override
    public Integer call() throws Exception {
        Path specFile = spec != null ? spec : Defaults.defaultSpec();
        // a tokenizer file named on the command line is relative to the working directory, not to the spec
        String tok = tokenizer != null && tokenizer.endsWith(".json")
                ? Path.of(tokenizer).toAbsolutePath().toString()
                : tokenizer;
        CorpusSpec.DedupMode topDedup =
                dedup == null ? null : dedup == Dedup.exact ? CorpusSpec.DedupMode.EXACT : CorpusSpec.DedupMode.NONE;
        CorpusSpec corpus = CorpusSpecs.load(specFile, topDedup).with(tok, context, valFraction);
        String outDir = out != null ? out : Defaults.defaultOut(specFile).toString();
        var config = new EtlConfig(corpus, outDir, overwrite, Math.round(progressSeconds * 1000), spaceFactor);
        PrintStream console = System.err;
        long t0 = System.nanoTime();
        DatasetInfo info;
        try (SparkSession session = spark.open("pike-mix etl")) {
            info = new EtlJob(session, config, console).run();
        }
        printTable(info, System.out);
        System.out.printf(
                Locale.ROOT,
                "dataset written to %s in %.1f s (tokenizer %s, vocab %,d, context %d)%n",
                outDir,
                (System.nanoTime() - t0) / 1e9,
                info.tokenizer().name(),
                info.tokenizer().vocabSize(),
                info.context());
        return 0;
    }

    /** The per-domain statistics table: documents, tokens, sequences and tail per split, and skipped inputs. */
    static void printTable(DatasetInfo info, PrintStream out) {
        var t = new Table(2, "domain", "split", "documents", "tokens", "sequences", "tail dropped", "skipped");
        long docs = 0, tokens = 0, seqs = 0;
        for (DomainInfo d : info.domains()) {
            for (String split : DatasetInfo.SPLITS) {
                SplitInfo s = d.split(split);
                String skipped = split.equals("train") ? skippedText(d) : "";
                t.row(d.name(), split, s.documents(), s.tokens(), s.sequences(), s.tailTokensDropped(), skipped);
                docs += s.documents();
                tokens += s.tokens();
                seqs += s.sequences();
            }
        }
        t.row("total", "", docs, tokens, seqs, "", "");
        t.print(out);
    }

    static String skippedText(DomainInfo d) {
        if (d.skipped().isEmpty()) return "0";
        var sb = new StringBuilder();
        d.skipped()
                .forEach((k, v) -> sb.append(sb.length() == 0 ? "" : ", ")
                        .append(k)
                        .append('=')
                        .append(v));
        return sb.toString();
    }
}
