package io.pikemix.cli;

import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/** {@code pike weights}: offline weight update from a statistics file (mixer issue). Placeholder until the mixer lands. */
@Command(name = "weights", mixinStandardHelpOptions = true,
        description = "Compute new mixture weights from a gradient-statistics file (not implemented yet).")
public final class WeightsCommand implements Callable<Integer> {
    @Override public Integer call() {
        throw new io.pikemix.format.UserException("pike weights is not implemented yet");
    }
}
