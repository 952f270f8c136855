/**
 * JSON files of the mixer (Jackson): manifests and the weight history as JSON lines next to a run, the
 * resumable {@link io.pikemix.mixer.MixerState}, and the statistics file read by {@code pike weights}.
 * Formats are documented on each class and in mixer/README.md.
 */
package io.pikemix.mixer.io;
