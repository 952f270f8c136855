package io.pikemix.cli;

import io.pikemix.etl.tokenizer.Tokenizer;
import io.pikemix.etl.tokenizer.Tokenizers;
import io.pikemix.format.DatasetDir;
import io.pikemix.format.DatasetInfo;
import io.pikemix.format.DatasetInfo.DomainInfo;
import io.pikemix.format.DatasetInfo.ShardInfo;
import io.pikemix.format.ShardReader;
import io.pikemix.format.UserException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code pike inspect URI}: a dataset's statistics, and its first rows decoded back to text. */
@Command(
        name = "inspect",
        mixinStandardHelpOptions = true,
        description =
                "Print a dataset's statistics (dataset.json) and decode the first rows of its shards back to text.")
public final class InspectCommand implements Callable<Integer> {
    @Parameters(
            index = "0",
            paramLabel = "URI",
            description = "Dataset written by 'pike etl': a directory or a Hadoop URI (hdfs://, s3a://, file://).")
    String dir;

    @Option(names = "--rows", defaultValue = "1", description = "Rows to decode per domain (default ${DEFAULT-VALUE}).")
    int rows;

    @Option(names = "--domain", description = "Only this domain.")
    String domain;

    @Option(names = "--split", defaultValue = "train", description = "train or val (default ${DEFAULT-VALUE}).")
    String split;

    @Option(
            names = "--chars",
            defaultValue = "400",
            description = "Characters of decoded text shown per row (default ${DEFAULT-VALUE}; 0: all).")
    int chars;

    @Override
    public Integer call() throws Exception {
        if (!DatasetDir.hasScheme(dir) && !Files.isDirectory(Path.of(dir)))
            throw new UserException("not a directory: " + dir);
        if (!DatasetInfo.SPLITS.contains(split))
            throw new UserException("--split must be one of " + DatasetInfo.SPLITS + ", got '" + split + "'");
        DatasetDir dataset = DatasetDir.of(dir);
        DatasetInfo info = DatasetInfo.read(dataset);
        var out = System.out;
        out.printf(
                Locale.ROOT,
                "dataset %s%n  spec %s%n  tokenizer %s (%s), vocab %,d, eos %d, sha256 %s%n  context %d (rows of %d tokens), val_fraction %s%n%n",
                dir,
                info.spec(),
                info.tokenizer().name(),
                info.tokenizer().spec(),
                info.tokenizer().vocabSize(),
                info.tokenizer().eosId(),
                info.tokenizer().contentHash(),
                info.context(),
                info.rowLength(),
                info.valFraction());
        EtlCommand.printTable(info, out);
        Tokenizer tok = info.tokenizer().file() != null
                ? Tokenizers.fromJson(dataset.readAllBytes(info.tokenizer().file()))
                : Tokenizers.load(info.tokenizer().name(), null);
        List<DomainInfo> domains = domain == null ? info.domains() : List.of(info.domain(domain));
        for (DomainInfo d : domains) {
            List<ShardInfo> shards = d.split(split).shards();
            if (shards.isEmpty()) {
                out.printf("%n%s/%s: no rows%n", d.name(), split);
                continue;
            }
            ShardInfo shard = shards.get(0);
            for (ShardReader.ShardRow row : ShardReader.read(dataset.conf(), dataset.resolve(shard.path()), rows)) {
                String text = tok.decode(row.tokens());
                if (chars > 0 && text.length() > chars) text = text.substring(0, chars) + " […]";
                out.printf(
                        Locale.ROOT,
                        "%n%s  seq_id %d  (%d tokens)%n%s%n",
                        shard.path(),
                        row.seqId(),
                        row.tokens().length,
                        text);
            }
        }
        return 0;
    }
}
