/** register-runner's version, shown by `--version` and written in the config header. */
export const VERSION = "0.1.0";
