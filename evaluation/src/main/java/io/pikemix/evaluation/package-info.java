/**
 * Evaluation of run directories: per-domain validation loss and perplexity of a run's newest checkpoint
 * ({@link io.pikemix.evaluation.RunEvaluation}) and the strategies × domains comparison of several runs with the
 * paper's "steps to reach" measure ({@link io.pikemix.evaluation.Comparison}).
 */
package io.pikemix.evaluation;
