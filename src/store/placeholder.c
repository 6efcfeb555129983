int store_placeholder(void);int store_placeholder(void){return 0;}
