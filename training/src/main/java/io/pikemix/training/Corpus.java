package io.pikemix.training;

import io.pikemix.format.Checks;
import io.pikemix.format.DatasetInfo;
import io.pikemix.mixer.DomainRows;

import java.nio.file.Path;
import java.util.List;

/**
 * What the trainer needs of a dataset: domain names, the mixer's view of the training split, per-domain token
 * counts and priors (for the token/temperature/static strategies), the vocabulary and context, and the rows.
 *
 * @param prior per-domain prior weights from the corpus spec, or null when the spec has none
 */
public record Corpus(List<String> names, List<DomainRows> trainRows, long[] tokens, double[] prior, int vocabSize,
                     int context, RowSource train, RowSource val) {
    public Corpus {
        Checks.require(train.rowLength() == context + 1, "rows hold %d tokens but context + 1 = %d", train.rowLength(), context + 1);
        Checks.require(names.size() == trainRows.size() && names.size() == train.domains() && names.size() == val.domains(),
                "domain lists disagree: %d names, %d training domains, %d sources", names.size(), trainRows.size(), train.domains());
    }

    /** An ETL output directory: DIR/dataset.json and its Parquet shards. */
    public static Corpus open(Path dir) {
        DatasetInfo info = DatasetInfo.read(dir);
        var names = info.domains().stream().map(DatasetInfo.DomainInfo::name).toList();
        long[] tokens = info.domains().stream().mapToLong(d -> d.split("train").tokens()).toArray();
        boolean hasPrior = info.domains().stream().allMatch(d -> d.prior() != null);
        double[] prior = hasPrior ? info.domains().stream().mapToDouble(DatasetInfo.DomainInfo::prior).toArray() : null;
        return new Corpus(names, DomainRows.training(info), tokens, prior, info.tokenizer().vocabSize(), info.context(),
                new TokenStore(dir, info, "train"), new TokenStore(dir, info, "val"));
    }
}
