export { AdminUiModule } from './admin-ui.module.js';
export { BOARD_PATH } from './bull-board.js';
