int agent_placeholder(void);int agent_placeholder(void){return 0;}
