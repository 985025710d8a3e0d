// esbuild bundles CSS imported from the page modules into a .css file next to the script.
declare module '*.css';
