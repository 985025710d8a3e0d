// The few parts of noVNC's RFB class the lab page uses (the package ships no types).
declare module '@novnc/novnc' {
  export interface RfbOptions {
    wsProtocols?: string[];
    shared?: boolean;
    credentials?: { username?: string; password?: string; target?: string };
  }
  export default class RFB extends EventTarget {
    constructor(target: HTMLElement, urlOrChannel: string | WebSocket, options?: RfbOptions);
    viewOnly: boolean;
    scaleViewport: boolean;
    resizeSession: boolean;
    clipViewport: boolean;
    focusOnClick: boolean;
    background: string;
    disconnect(): void;
    focus(): void;
    sendCredentials(credentials: { username?: string; password?: string }): void;
  }
}
