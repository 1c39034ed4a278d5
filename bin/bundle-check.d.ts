/** Types of bin/bundle-check.js (plain JavaScript: bin/suanpan.js runs it before any loader). */
export declare const CLI_BUNDLE_ENTRY: string;
export declare const CLI_BUNDLE_INPUTS: string;
/** The bundle's entry file when every source it was built from is unchanged, else null. */
export declare function freshBundle(bundleDir: string): string | null;
